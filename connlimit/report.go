package connlimit

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Reporter logs limits that fire without letting a flood of them flood
// the log: per limit, the first event is logged at once and further ones
// within the interval are counted and reported with the next logged one.
type Reporter struct {
	// Count, when set before the first Fired, is called for every event,
	// logged or not (metrics).
	Count func(limit string)

	log   *slog.Logger
	every time.Duration

	mu    sync.Mutex
	state map[string]*reportState
}

type reportState struct {
	last       time.Time
	suppressed int
}

// NewReporter logs through log at Warn level, each limit at most once per
// every.
func NewReporter(log *slog.Logger, every time.Duration) *Reporter {
	return &Reporter{log: log, every: every, state: map[string]*reportState{}}
}

// Fired reports that limit fired for the client at remote; msg says what
// happened to the client.
func (r *Reporter) Fired(limit, msg, remote string, attrs ...slog.Attr) {
	if r.Count != nil {
		r.Count(limit)
	}
	now := time.Now()
	r.mu.Lock()
	st := r.state[limit]
	if st == nil {
		st = &reportState{}
		r.state[limit] = st
	}
	if !st.last.IsZero() && now.Sub(st.last) < r.every {
		st.suppressed++
		r.mu.Unlock()
		return
	}
	st.last = now
	n := st.suppressed
	st.suppressed = 0
	r.mu.Unlock()

	a := append([]slog.Attr{slog.String("limit", limit), slog.String("remote", remote)}, attrs...)
	if n > 0 {
		a = append(a, slog.Int("more_since_last_report", n))
	}
	r.log.LogAttrs(context.Background(), slog.LevelWarn, msg, a...)
}
