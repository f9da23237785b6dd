// Package connlimit bounds what network clients can hold on a server: the
// number of open connections, in total and per client IP address, and how
// long a write may wait on a client that reads nothing.
//
// It works below HTTP and TLS, as a net.Listener wrapper, because the
// resources it protects (file descriptors, goroutines, socket buffers) are
// taken when a connection is accepted, before any request exists.
//
// # Connection caps
//
// A connection over a cap is closed as soon as it is accepted: no byte is
// read from it and none written (under TLS nothing could be written
// before a handshake anyway). S3 clients take a reset connection as a
// retryable network error, so a burst from a legitimate client slows down
// rather than fails. Refusing, rather than leaving connections in the
// kernel's accept queue as a blocking limiter would, keeps the server
// answering the clients that are within their share.
//
// The per-IP cap is what keeps one client (a misbehaving backup job, or
// someone holding connections open on purpose) from taking every slot;
// the total cap keeps the process under its file-descriptor limit with
// room for the files its requests open.
//
// # Write stall timeout
//
// Every Write on an accepted connection gets a deadline of WriteStall from
// now, renewed whenever the client takes some bytes (the Write makes
// progress): a write that makes no progress for WriteStall fails, and the server's handler sees an error
// and lets go. It is an idle deadline, not a total one, so a slow
// download over a thin link still completes. net/http sets write
// deadlines only for http.Server.WriteTimeout (left at 0 with this
// package), so the two do not fight.
//
// # Logs
//
// Refusals are reported through Config.OnRefuse with the limit that fired.
// Under attack that would be one call per connection; Log wraps a logger
// so that each limit logs at most once per interval, with a count.
package connlimit

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Limit names a cap, as it appears in logs.
type Limit string

// The caps a connection can hit.
const (
	LimitTotal = Limit("max-conns")
	LimitPerIP = Limit("max-conns-per-ip")
)

// Config configures Listen. Zero values disable the limit they name.
type Config struct {
	MaxConns      int           // open connections in total
	MaxConnsPerIP int           // open connections per client IP address
	WriteStall    time.Duration // longest a Write may make no progress
	// OnRefuse is called (synchronously, keep it cheap) for every
	// connection closed at accept, with the limit it hit.
	OnRefuse func(limit Limit, remote net.Addr)
}

// Listener is a net.Listener that enforces a Config.
type Listener struct {
	net.Listener
	cfg Config

	mu    sync.Mutex
	total int
	perIP map[string]int
}

// Listen wraps ln.
func Listen(ln net.Listener, cfg Config) *Listener {
	return &Listener{Listener: ln, cfg: cfg, perIP: map[string]int{}}
}

// Accept returns the next connection within the limits, closing those
// over them.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		if lim := l.take(ip); lim != "" {
			// Reported before the close, so that whoever sees the
			// connection closed finds the refusal already counted.
			if l.cfg.OnRefuse != nil {
				l.cfg.OnRefuse(lim, c.RemoteAddr())
			}
			c.Close()
			continue
		}
		return &conn{Conn: c, l: l, ip: ip}, nil
	}
}

// take reserves a slot for ip, or names the limit that refuses it.
func (l *Listener) take(ip string) Limit {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.MaxConns > 0 && l.total >= l.cfg.MaxConns {
		return LimitTotal
	}
	if l.cfg.MaxConnsPerIP > 0 && l.perIP[ip] >= l.cfg.MaxConnsPerIP {
		return LimitPerIP
	}
	l.total++
	l.perIP[ip]++
	return ""
}

func (l *Listener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

// Open returns the number of open connections, in total and from ip.
func (l *Listener) Open(ip string) (total, fromIP int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.perIP[ip]
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// conn counts against its listener's limits until closed.
type conn struct {
	net.Conn
	l    *Listener
	ip   string
	once sync.Once
	wmu  sync.Mutex // Write is not called concurrently by net/http, but be safe
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

// CloseWrite half-closes the connection when the underlying one can:
// net/http sends its last answer, half-closes, and waits a moment before
// closing, so that unread request bytes do not turn the close into a
// reset that destroys the answer in flight.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Write writes p, renewing the write deadline while the client takes
// bytes; it fails only when WriteStall passes with no progress.
func (c *conn) Write(p []byte) (int, error) {
	stall := c.l.cfg.WriteStall
	if stall <= 0 {
		return c.Conn.Write(p)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var n int
	for {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(stall)); err != nil {
			return n, err
		}
		m, err := c.Conn.Write(p[n:])
		n += m
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		// Some bytes went out before the deadline: the client is slow,
		// not gone. Go on with a fresh deadline.
		if m > 0 {
			continue
		}
		return n, &StallError{Remote: c.RemoteAddr(), Stall: stall, Written: n, Cause: err}
	}
}

// StallError is the error of a Write on which the client took no byte
// for the whole WriteStall.
type StallError struct {
	Remote  net.Addr
	Stall   time.Duration
	Written int
	Cause   error
}

func (e *StallError) Error() string {
	return "connlimit: client " + e.Remote.String() + " read nothing for " + e.Stall.String() + " (limit stall-timeout): " + e.Cause.Error()
}

func (e *StallError) Unwrap() error { return e.Cause }

// Timeout and Temporary make it a net.Error, a timeout like the one it
// wraps.
func (e *StallError) Timeout() bool   { return true }
func (e *StallError) Temporary() bool { return false }
