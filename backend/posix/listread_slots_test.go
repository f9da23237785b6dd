package posix

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"envelopegw/backend"
)

// Concurrent listings share one bound on the head files open at once:
// without it each List call holds up to listWorkers, so a few hundred
// listings (connections are capped at a quarter of the descriptor limit,
// counting a handful of descriptors each) could run the process out of
// file descriptors and fail every other request's open.
func TestConcurrentListingsShareHeadReadBound(t *testing.T) {
	old := headReadSlots
	headReadSlots = make(chan struct{}, 8)
	t.Cleanup(func() { headReadSlots = old })
	var backends []*Backend
	for range 4 {
		b, _ := poolBucket(t, 100)
		backends = append(backends, b)
	}
	var inFlight, most atomic.Int64
	setHook(t, func(int) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(200 * time.Microsecond)
	})
	var wg sync.WaitGroup
	for _, b := range backends {
		wg.Go(func() {
			p, err := b.List(ctx, "bkt", backend.ListOptions{MaxKeys: 1000})
			if err != nil || len(p.Objects) != 100 {
				t.Errorf("listing: %d objects, %v", len(p.Objects), err)
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m > 8 || m < 2 {
		t.Errorf("%d head reads in flight at most across 4 listings, want 2..8 (the shared bound)", m)
	}
}
