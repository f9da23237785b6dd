package s3api

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultStallTimeout is how long a request body may send nothing before
// the request is ended with 400 RequestTimeout. S3 allows about 20 s; a
// longer default lets a backup over a congested WAN link, whose TCP
// retransmissions can pause a stream for tens of seconds, still pass.
const DefaultStallTimeout = 60 * time.Second

// stallReader is the request body as the handler reads it. It bounds the
// wait for each next byte (an idle deadline, not a total one: a slow but
// moving upload never times out) and remembers whether the body was read
// to its end, which decides whether the connection can be kept.
//
// The deadline is the connection's read deadline, set through
// http.ResponseController before each Read and cleared at io.EOF: after
// EOF net/http reads in the background to notice a client that goes away,
// and a deadline firing there would cancel the request's context.
type stallReader struct {
	src     io.Reader
	rc      *http.ResponseController
	timeout time.Duration

	mu       sync.Mutex
	eof      bool
	timedOut bool
	authed   bool // the client authenticated: its body may be drained
	expect   bool // Expect: 100-continue: an unread body was never sent
	noDL     bool // the connection does not support deadlines
}

// drainGrace is how long an answer given before the body ended waits for
// the rest of a small body (net/http discards up to 256 KiB so that the
// connection can be reused and a client still sending does not get a
// reset instead of the answer). A client that sends nothing meanwhile
// loses its connection.
const drainGrace = time.Second

func newStallReader(w http.ResponseWriter, r *http.Request, timeout time.Duration) *stallReader {
	s := &stallReader{src: r.Body, rc: http.NewResponseController(w), timeout: timeout,
		expect: hasToken(r.Header.Values("Expect"), "100-continue")}
	if r.Body == nil || r.Body == http.NoBody {
		s.src, s.eof = http.NoBody, true
		return s
	}
	// Bound the wait from the start: even a body nobody reads is discarded
	// by net/http before the connection can be reused.
	s.arm(time.Now().Add(timeout))
	return s
}

func (s *stallReader) arm(t time.Time) {
	if s.noDL || s.timeout <= 0 {
		return
	}
	if err := s.rc.SetReadDeadline(t); errors.Is(err, http.ErrNotSupported) {
		s.noDL = true
	}
}

// Read implements io.Reader. The lock is not held while waiting for the
// client, so that answering and abandon never wait on a blocked Read.
func (s *stallReader) Read(p []byte) (int, error) {
	s.mu.Lock()
	if s.eof {
		s.mu.Unlock()
		return 0, io.EOF
	}
	s.arm(time.Now().Add(s.timeout))
	s.mu.Unlock()
	n, err := s.src.Read(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == io.EOF:
		s.eof = true
		s.arm(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.timedOut = true
		err = ErrRequestTimeout.WithMessage("%s (no byte of the request body arrived for %s)", ErrRequestTimeout.Message, s.timeout)
	case connLost(err):
		// The client closed or reset the connection before its body
		// ended (a canceled upload, a killed backup job): its leaving,
		// not a malformed request, and nobody reads the answer.
		err = ErrClientClosedRequest.WithMessage("%s The request body broke off: %v", ErrClientClosedRequest.Message, err)
	}
	return n, err
}

// connLost reports a body read that failed because the connection ended
// before the declared length: net/http's io.ErrUnexpectedEOF for a close,
// a network error for a reset.
func connLost(err error) bool {
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne)
}

// unread reports whether the body was not read to its end.
func (s *stallReader) unread() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.eof
}

// authenticated marks a request whose signature verified. Until then
// none of its body is read, not even to keep the connection.
func (s *stallReader) authenticated() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authed = true
}

// answering is called as the response header goes out. With the body
// unread, it reports whether the connection must close now: the client
// is not authenticated or stalled (waiting for its body would let it hold
// the connection), or it waits for 100 Continue (its body never comes).
// Otherwise the rest of the body gets drainGrace to arrive.
func (s *stallReader) answering() (closeNow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.eof {
		return false
	}
	if !s.authed || s.timedOut || s.expect {
		return true
	}
	s.armGrace()
	return false
}

// abandon bounds net/http's discard of an unread body, after the
// handler, so that it cannot wait for bytes that may never come.
func (s *stallReader) abandon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.eof || s.noDL:
	case !s.authed || s.timedOut:
		s.rc.SetReadDeadline(time.Now())
	default:
		s.armGrace()
	}
}

func (s *stallReader) armGrace() {
	if !s.noDL {
		g := drainGrace
		if s.timeout > 0 {
			g = min(g, s.timeout)
		}
		s.rc.SetReadDeadline(time.Now().Add(g))
	}
}
