package md5pool

import (
	"sync"

	md5simd "github.com/minio/md5-simd"
)

// DefaultPerServer is how many hashers a server hands out before it is
// retired when Pool.PerServer is 0.
const DefaultPerServer = 64

// DefaultMinConcurrent is Pool.MinConcurrent when that is 0. md5-simd
// hashes fewer than 3 lanes with scalar code, and inside a gateway four
// uploads rarely have a block queued at the same moment (see the package
// documentation): at 4 concurrent bodies crypto/md5 cost the gateway less.
const DefaultMinConcurrent = 5

// Pool is an md5simd.Server whose servers are retired after a bounded
// number of hashers (see the package documentation). The zero value is
// ready to use. It is safe for concurrent use.
type Pool struct {
	// PerServer bounds the hashers one server hands out; 0 means
	// DefaultPerServer. Set it before the first NewHash.
	PerServer int
	// MinConcurrent: a hasher comes from md5-simd only when at least
	// this many hashers of the pool, itself included, are open; fewer
	// get crypto/md5, which is cheaper for them (see the package
	// documentation). 0 means DefaultMinConcurrent; 1 means always
	// md5-simd. Set it before the first NewHash.
	MinConcurrent int
	// newServer starts a server; nil means md5simd.NewServer (tests
	// count starts and closes through it).
	newServer func() md5simd.Server

	mu      sync.Mutex
	cur     *server // hands out new hashers; nil before the first or after Close
	live    int     // servers not yet closed, cur included
	open    int     // hashers handed out and not yet closed, of both kinds
	started uint64
	closed  bool
}

// server is one md5-simd server and its hasher counts.
type server struct {
	srv    md5simd.Server
	issued int // hashers handed out, ever
	open   int // hashers handed out and not yet closed
}

// Stats are a Pool's counts.
type Stats struct {
	Live    int    // servers started and not yet closed
	Started uint64 // servers started, ever
	// CurrentIssued is how many hashers the current server has handed
	// out, the size of its client map: never more than PerServer.
	CurrentIssued int
	// CurrentOpen is how many of those are still open.
	CurrentOpen int
	// Open is how many hashers of either kind are open.
	Open int
}

// NewHash returns a hasher from the current server, starting a new one
// when the current one has handed out PerServer hashers.
func (p *Pool) NewHash() md5simd.Hasher {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open++
	if p.closed || p.open < p.minConcurrent() {
		// After Close (as md5-simd's own servers, the caller's bug) a
		// stdlib hasher keeps the caller working and owns no goroutine.
		return &stdHasher{Hasher: md5simd.StdlibHasher(), pool: p}
	}
	if p.cur == nil || p.cur.issued >= p.perServer() {
		p.retireLocked()
		newServer := p.newServer
		if newServer == nil {
			newServer = md5simd.NewServer
		}
		p.cur = &server{srv: newServer()}
		p.live++
		p.started++
	}
	s := p.cur
	s.issued++
	s.open++
	return &hasher{Hasher: s.srv.NewHash(), pool: p, srv: s}
}

func (p *Pool) minConcurrent() int {
	if p.MinConcurrent > 0 {
		return p.MinConcurrent
	}
	return DefaultMinConcurrent
}

func (p *Pool) perServer() int {
	if p.PerServer > 0 {
		return p.PerServer
	}
	return DefaultPerServer
}

// retireLocked stops handing out hashers from the current server and
// closes it if none of its hashers is open.
func (p *Pool) retireLocked() {
	s := p.cur
	p.cur = nil
	if s != nil && s.open == 0 {
		p.closeServerLocked(s)
	}
}

func (p *Pool) closeServerLocked(s *server) {
	s.srv.Close()
	s.srv = nil
	p.live--
}

// release is a hasher's Close: the last hasher of a retired server closes
// that server.
func (p *Pool) release(s *server) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open--
	s.open--
	if s.open == 0 && s != p.cur {
		p.closeServerLocked(s)
	}
}

// Close retires the current server; it is closed once its hashers are.
// NewHash after Close returns crypto/md5 hashers.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.retireLocked()
}

// Stats returns the pool's counts.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Stats{Live: p.live, Started: p.started, Open: p.open}
	if p.cur != nil {
		st.CurrentIssued, st.CurrentOpen = p.cur.issued, p.cur.open
	}
	return st
}

// hasher is an md5-simd hasher that reports its Close to the pool.
type hasher struct {
	md5simd.Hasher
	pool *Pool
	srv  *server // nil once closed
}

// Close closes the hasher on its server; a second Close does nothing.
func (h *hasher) Close() {
	if h.srv == nil {
		return
	}
	h.Hasher.Close()
	s := h.srv
	h.srv = nil
	h.pool.release(s)
}

// stdHasher is a crypto/md5 hasher the pool counts as open.
type stdHasher struct {
	md5simd.Hasher
	pool *Pool // nil once closed
}

// Close counts the hasher closed; a second Close does nothing.
func (h *stdHasher) Close() {
	if h.pool == nil {
		return
	}
	h.Hasher.Close()
	p := h.pool
	h.pool = nil
	p.mu.Lock()
	p.open--
	p.mu.Unlock()
}
