package md5pool

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	md5simd "github.com/minio/md5-simd"
)

// countingServer counts the Closes of the real md5-simd servers a Pool
// starts.
type countingServer struct {
	md5simd.Server
	closes *atomic.Int64
}

func (c countingServer) Close() {
	c.closes.Add(1)
	c.Server.Close()
}

func newCountingPool(perServer int) (*Pool, *atomic.Int64) {
	closes := new(atomic.Int64)
	p := &Pool{PerServer: perServer, MinConcurrent: 1, newServer: func() md5simd.Server {
		return countingServer{md5simd.NewServer(), closes}
	}}
	return p, closes
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	return b
}

// TestDigests: hashers from a pool give crypto/md5's digests, from
// concurrent goroutines, for sizes around the block and buffer sizes.
func TestDigests(t *testing.T) {
	p := &Pool{PerServer: 5}
	defer p.Close()
	sizes := []int{0, 1, 63, 64, 65, 32<<10 - 1, 32 << 10, 32<<10 + 1, 1<<20 + 17}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for _, n := range sizes {
				data := payload(n + g)
				h := p.NewHash()
				// Uneven writes, as a body's reads arrive.
				for rest := data; len(rest) > 0; {
					k := min(len(rest), 1000+7*g)
					h.Write(rest[:k])
					rest = rest[k:]
				}
				got := h.Sum(nil)
				h.Close()
				if want := md5.Sum(data); !bytes.Equal(got, want[:]) {
					t.Errorf("size %d: md5 %x, want %x", len(data), got, want)
				}
			}
		})
	}
	wg.Wait()
}

// TestServersBounded is the regression test for the process-wide
// md5-simd server that kept every closed hasher: after many hashers were
// created and closed, one server is left, it has handed out at most
// PerServer hashers (so its client map is that small), and every retired
// server was closed.
func TestServersBounded(t *testing.T) {
	const per = 8
	p, closes := newCountingPool(per)
	const n = 20*per + 3
	for i := range n {
		h := p.NewHash()
		h.Write(payload(100 + i))
		h.Sum(nil)
		h.Close()
		h.Close() // a second Close is harmless and not counted twice
		st := p.Stats()
		if st.Live != 1 || st.CurrentIssued > per || st.CurrentOpen != 0 {
			t.Fatalf("after %d hashers: %+v, want 1 live server with at most %d hashers issued, none open", i+1, st, per)
		}
	}
	st := p.Stats()
	if want := uint64((n + per - 1) / per); st.Started != want {
		t.Errorf("started %d servers for %d hashers, want %d", st.Started, n, want)
	}
	if got := closes.Load(); got != int64(st.Started)-1 {
		t.Errorf("%d servers closed, want every retired one (%d)", got, st.Started-1)
	}
	p.Close()
	if got := closes.Load(); got != int64(st.Started) || p.Stats().Live != 0 {
		t.Errorf("after Close: %d of %d servers closed, stats %+v", got, st.Started, p.Stats())
	}
}

// TestRetiredServerOutlivesItsHashers: a retired server stays until its
// last open hasher closes, and its hashers still work meanwhile.
func TestRetiredServerOutlivesItsHashers(t *testing.T) {
	p, closes := newCountingPool(2)
	defer p.Close()
	a, b := p.NewHash(), p.NewHash()
	c := p.NewHash() // retires the first server
	if st := p.Stats(); st.Live != 2 || closes.Load() != 0 {
		t.Fatalf("with the first server's hashers open: %+v, %d closed", st, closes.Load())
	}
	data := payload(100 << 10)
	for _, h := range []md5simd.Hasher{a, b, c} {
		h.Write(data)
	}
	want := md5.Sum(data)
	a.Close()
	if closes.Load() != 0 {
		t.Fatal("the retired server closed while one of its hashers was open")
	}
	if got := b.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Errorf("hasher on the retired server: %x, want %x", got, want)
	}
	b.Close()
	if closes.Load() != 1 || p.Stats().Live != 1 {
		t.Errorf("after the retired server's last hasher closed: %d closed, %+v", closes.Load(), p.Stats())
	}
	if got := c.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Errorf("hasher on the current server: %x, want %x", got, want)
	}
	c.Close()
}

// TestAfterClose: a closed pool still answers NewHash, with crypto/md5.
func TestAfterClose(t *testing.T) {
	p, closes := newCountingPool(4)
	h := p.NewHash()
	p.Close()
	if closes.Load() != 0 {
		t.Fatal("Close closed a server with an open hasher")
	}
	h.Close()
	if closes.Load() != 1 {
		t.Fatal("the last hasher did not close the retired server")
	}
	h2 := p.NewHash()
	h2.Write([]byte("abc"))
	if got, want := fmt.Sprintf("%x", h2.Sum(nil)), fmt.Sprintf("%x", md5.Sum([]byte("abc"))); got != want {
		t.Errorf("md5 after Close %s, want %s", got, want)
	}
	h2.Close()
	if p.Stats().Started != 1 {
		t.Errorf("NewHash after Close started a server: %+v", p.Stats())
	}
}

// TestRetiredServersEndTheirGoroutines: a closed server's goroutine ends,
// so a long-running process does not collect one goroutine per
// PerServer requests.
func TestRetiredServersEndTheirGoroutines(t *testing.T) {
	p := &Pool{PerServer: 2, MinConcurrent: 1}
	defer p.Close()
	use := func(n int) {
		for range n {
			h := p.NewHash()
			h.Write(payload(1000))
			h.Sum(nil)
			h.Close()
		}
	}
	use(4) // the first servers, and whatever the runtime starts once
	base := runtime.NumGoroutine()
	use(200) // 100 more servers started and retired
	var n int
	for range 100 {
		if n = runtime.NumGoroutine(); n <= base {
			return
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines after 100 servers were retired, %d before: retired servers' goroutines did not end", n, base)
}

// TestFewConcurrentUseStdlib: while fewer than MinConcurrent hashers are
// open, NewHash gives crypto/md5 hashers and starts no server; the third
// concurrent one comes from md5-simd. Every one gives the right digest.
func TestFewConcurrentUseStdlib(t *testing.T) {
	p, _ := newCountingPool(64)
	p.MinConcurrent = 3
	defer p.Close()
	data := payload(70 << 10)
	want := md5.Sum(data)
	check := func(h md5simd.Hasher) {
		t.Helper()
		h.Write(data)
		if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Errorf("md5 %x, want %x", got, want)
		}
	}
	for range 10 {
		h := p.NewHash()
		check(h)
		h.Close()
	}
	if st := p.Stats(); st.Started != 0 || st.Open != 0 {
		t.Fatalf("one body at a time: %+v, want no server started and nothing open", st)
	}
	a, b := p.NewHash(), p.NewHash()
	c := p.NewHash()
	if st := p.Stats(); st.Started != 1 || st.CurrentIssued != 1 || st.Open != 3 {
		t.Fatalf("three bodies at once: %+v, want the third from one md5-simd server", st)
	}
	for _, h := range []md5simd.Hasher{a, b, c} {
		check(h)
		h.Close()
		h.Close()
	}
	if st := p.Stats(); st.Open != 0 || st.CurrentOpen != 0 {
		t.Errorf("after every Close: %+v", st)
	}
}

// TestDefaultFourConcurrentUseStdlib: the zero Pool hands four concurrent
// bodies (the put10 workload's clients) crypto/md5 hashers and the fifth
// an md5-simd one.
func TestDefaultFourConcurrentUseStdlib(t *testing.T) {
	p := &Pool{}
	defer p.Close()
	var hs []md5simd.Hasher
	for range 4 {
		hs = append(hs, p.NewHash())
	}
	if st := p.Stats(); st.Started != 0 || st.Open != 4 {
		t.Fatalf("four bodies at once: %+v, want no md5-simd server", st)
	}
	hs = append(hs, p.NewHash())
	if st := p.Stats(); st.Started != 1 || st.CurrentIssued != 1 || st.Open != 5 {
		t.Fatalf("five bodies at once: %+v, want the fifth from one md5-simd server", st)
	}
	data := payload(100 << 10)
	want := md5.Sum(data)
	for _, h := range hs {
		h.Write(data)
		if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Errorf("md5 %x, want %x", got, want)
		}
		h.Close()
	}
}
