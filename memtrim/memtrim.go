package memtrim

import (
	"context"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Tracker counts requests in flight and decides when the gateway is idle.
type Tracker struct {
	inflight atomic.Int64
	// active is set by every request and cleared by a release: there is
	// nothing to give back when nothing ran since the last one.
	active  atomic.Bool
	lastEnd atomic.Int64 // unix nanoseconds when the last request ended
	lastRel time.Time    // when the last release ran (Run's goroutine only)
}

// Wrap counts the requests h serves.
func (t *Tracker) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.begin()
		defer t.end(time.Now)
		h.ServeHTTP(w, r)
	})
}

func (t *Tracker) begin() {
	t.inflight.Add(1)
	t.active.Store(true)
}

func (t *Tracker) end(now func() time.Time) {
	t.lastEnd.Store(now().UnixNano())
	t.inflight.Add(-1)
}

// Policy says how long the gateway must be quiet before a release and how
// often a release may run at most.
type Policy struct {
	Quiet       time.Duration // no request in flight and none ended for this long
	MinInterval time.Duration // between two releases
}

// DefaultPolicy releases one second after a burst, at most every ten
// seconds: a release costs a full collection, which an idle gateway can
// afford once per burst but should not pay on every pause of a client
// that sends a request every second or two.
var DefaultPolicy = Policy{Quiet: time.Second, MinInterval: 10 * time.Second}

// due reports whether a release should run at now.
func (t *Tracker) due(now time.Time, p Policy) bool {
	if t.inflight.Load() != 0 || !t.active.Load() {
		return false
	}
	if now.Sub(time.Unix(0, t.lastEnd.Load())) < p.Quiet {
		return false
	}
	return t.lastRel.IsZero() || now.Sub(t.lastRel) >= p.MinInterval
}

// Run checks for idleness every p.Quiet/2 until ctx ends and then calls
// release (Release when nil) from its own goroutine.
func (t *Tracker) Run(ctx context.Context, p Policy, release func()) {
	if release == nil {
		release = Release
	}
	tick := time.NewTicker(max(p.Quiet/2, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if !t.due(now, p) {
				continue
			}
			// Cleared before releasing: a request that starts during the
			// release sets it again and earns the next one.
			t.active.Store(false)
			t.lastRel = now
			release()
		}
	}
}

// Release collects twice, so that buffers parked in sync.Pools (kept
// through one collection in the pools' victim caches) are freed too, and
// returns every free page to the operating system.
func Release() {
	runtime.GC()
	debug.FreeOSMemory()
}
