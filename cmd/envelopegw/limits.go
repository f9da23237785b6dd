package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"envelopegw/connlimit"
	"envelopegw/s3api"
)

// limitConfig holds the serve flags that bound what a client can hold:
// connections, and time spent waiting on it. See connlimit's package doc
// and the README's "Limits" section.
type limitConfig struct {
	stall         time.Duration // request body and response writes: longest pause
	headerTimeout time.Duration // request line and headers: total
	maxConns      int           // 0: derived from the file-descriptor limit
	maxConnsPerIP int
}

// Defaults. 512 connections per address leaves room for the most parallel
// S3 tools (s5cmd runs 256 workers) and for clients behind one NAT.
const (
	defaultHeaderTimeout = 30 * time.Second
	defaultMaxConnsPerIP = 512
	maxConnsCeiling      = 4096
	// maxStreamsPerConn caps concurrent HTTP/2 requests on one connection
	// (HTTP/1.1 has one at a time): what S3 tools run in parallel is far
	// less, and 512 connections × 32 streams still bounds one address.
	maxStreamsPerConn = 32
	// limitLogInterval: each limit logs at most once per interval.
	limitLogInterval = 10 * time.Second
)

func addLimitFlags(fs *flag.FlagSet, l *limitConfig) {
	fs.DurationVar(&l.stall, "stall-timeout", s3api.DefaultStallTimeout, "end a request whose client sends or takes no byte for this `long` (400 RequestTimeout while uploading); idle time, not total")
	fs.DurationVar(&l.headerTimeout, "header-timeout", defaultHeaderTimeout, "close a connection that does not send a complete request header within this `time`")
	fs.IntVar(&l.maxConns, "max-conns", 0, "most open client connections; more are closed at once (0: a quarter of the file-descriptor limit, at most 4096)")
	fs.IntVar(&l.maxConnsPerIP, "max-conns-per-ip", defaultMaxConnsPerIP, "most open connections from one client IP address (0: no per-address limit)")
}

func (l *limitConfig) check() error {
	switch {
	case l.stall <= 0:
		return errors.New("--stall-timeout must be positive")
	case l.headerTimeout <= 0:
		return errors.New("--header-timeout must be positive")
	case l.maxConns < 0:
		return errors.New("--max-conns must not be negative")
	case l.maxConnsPerIP < 0:
		return errors.New("--max-conns-per-ip must not be negative")
	}
	return nil
}

// effectiveMaxConns resolves --max-conns 0: a quarter of the open-file
// limit, since a request may hold a few files besides its socket.
func (l *limitConfig) effectiveMaxConns() int {
	if l.maxConns > 0 {
		return l.maxConns
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 256
	}
	return int(max(16, min(uint64(maxConnsCeiling), rl.Cur/4)))
}

func (l *limitConfig) print(w io.Writer) {
	fmt.Fprintf(w, "stall timeout   %s\n", l.stall)
	fmt.Fprintf(w, "header timeout  %s\n", l.headerTimeout)
	fmt.Fprintf(w, "max conns       %d (per IP %d)\n", l.effectiveMaxConns(), l.maxConnsPerIP)
}

// limitedListener wraps ln with the connection caps and the write stall
// timeout, reporting refusals through rep.
func (l *limitConfig) limitedListener(ln net.Listener, rep *connlimit.Reporter) net.Listener {
	maxConns := l.effectiveMaxConns()
	return connlimit.Listen(ln, connlimit.Config{
		MaxConns:      maxConns,
		MaxConnsPerIP: l.maxConnsPerIP,
		WriteStall:    l.stall,
		OnRefuse: func(lim connlimit.Limit, remote net.Addr) {
			n := maxConns
			if lim == connlimit.LimitPerIP {
				n = l.maxConnsPerIP
			}
			rep.Fired(string(lim), "connection refused: limit reached", remote.String(), slog.Int("max", n))
		},
	})
}

// headerWatch reports connections that net/http closed because of
// --header-timeout, which it does silently. A connection counts when it
// closes at least headerTimeout after it opened or went idle, without a
// request having reached the handler meanwhile.
type headerWatch struct {
	timeout time.Duration
	rep     *connlimit.Reporter

	mu    sync.Mutex
	conns map[net.Conn]*watched
}

type watched struct {
	since  time.Time
	state  http.ConnState
	served bool
}

type connKey struct{}

func (l *limitConfig) headerWatch(rep *connlimit.Reporter) *headerWatch {
	return &headerWatch{timeout: l.headerTimeout, rep: rep, conns: map[net.Conn]*watched{}}
}

// connContext is the http.Server.ConnContext hook: it lets the handler
// find its connection.
func (w *headerWatch) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// handler marks the connection of every request that reached h.
func (w *headerWatch) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			w.mu.Lock()
			if st := w.conns[c]; st != nil {
				st.served = true
			}
			w.mu.Unlock()
		}
		h.ServeHTTP(rw, r)
	})
}

// connState is the http.Server.ConnState hook.
func (w *headerWatch) connState(c net.Conn, st http.ConnState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch st {
	case http.StateNew, http.StateIdle:
		w.conns[c] = &watched{since: time.Now(), state: st}
	case http.StateActive:
		if x := w.conns[c]; x != nil {
			x.state = st
		}
	case http.StateClosed, http.StateHijacked:
		x := w.conns[c]
		delete(w.conns, c)
		if x == nil || x.served || x.state == http.StateIdle || time.Since(x.since) < w.timeout {
			return
		}
		w.rep.Fired("header-timeout", "connection closed: no complete request header in time", c.RemoteAddr().String(),
			slog.Duration("timeout", w.timeout))
	}
}
