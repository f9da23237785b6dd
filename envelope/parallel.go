package envelope

import (
	"io"
	"runtime"
	"sync"
)

// Parallel opening. STREAM segments are independent: each is
// authenticated by its own tag under a nonce that is its position in the
// part (and whether it is the last), so they can be opened in any order
// and on any core. A reader with workers > 1 opens all the segments of a
// batch at once, split over that many goroutines (the caller's own and
// workers-1 more), then hands them out in order as the serial reader
// does. Nothing changes for authentication: a segment's plaintext is
// released only once its own tag verified and every earlier segment's
// did; at the first failure in a batch output stops before that segment,
// whatever later segments of the batch held (their buffer is cleared on
// Close). Truncation, reordering and the last-segment flag are checked
// by the nonces exactly as when opening one by one.
//
// It pays where one reader must go as fast as the machine can (the
// `decrypt` command restoring a backup): the wall-clock time of a batch
// shrinks with the cores given, its CPU time grows a little (a goroutine
// hand-off per batch). A server whose requests already keep every core
// busy gains nothing, so NewRangeReader stays serial and the gateway
// uses it.

// NewParallelRangeReader is NewRangeReader opening each batch (1 MiB of
// ciphertext, read in one ReadAt) on up to workers goroutines; workers <=
// 0 means runtime.GOMAXPROCS(0). With one worker it is NewRangeReader.
func (k *Key) NewParallelRangeReader(body io.ReaderAt, t *Table, off, n int64, workers int) (io.ReadCloser, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 {
		return k.NewRangeReader(body, t, off, n)
	}
	return k.newRangeReader(body, t, off, n, workers, batchSegments(k.segmentSize))
}

// openBatch opens every segment of r.batch (into r.out), in workers
// contiguous runs, and records how many lead the batch verified
// (r.opened) and whether one after them failed (r.badSeg).
func (r *rangeReader) openBatch() {
	segCT := r.seg + tagSize
	n := (len(r.batch) + segCT - 1) / segCT
	w := min(r.workers, n)
	if w < 2 {
		return
	}
	per := (n + w - 1) / w
	if cap(r.fails) < w {
		r.fails = make([]int, w)
	}
	fails := r.fails[:w]
	var wg sync.WaitGroup
	for c := 1; c < w; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fails[c] = r.openRun(c*per, min((c+1)*per, n))
		}()
	}
	fails[0] = r.openRun(0, min(per, n))
	wg.Wait()
	r.opened, r.badSeg = n, false
	for _, f := range fails {
		if f < n {
			r.opened, r.badSeg = f, true
			break
		}
	}
}

// openRun opens segments [a, b) of the batch (indices within it) and
// returns the index of the first that fails, or len of the batch in
// segments when all verify. Runs touch disjoint bytes of r.batch.
func (r *rangeReader) openRun(a, b int) int {
	segCT := r.seg + tagSize
	var nonce [nonceSize]byte
	for i := a; i < b; i++ {
		c := r.batch[i*segCT : min((i+1)*segCT, len(r.batch))]
		o := r.out[i*r.stride : i*r.stride+len(c)]
		j := r.j + int64(i)
		setNonce(&nonce, uint64(j), j == r.part.segs-1)
		if _, err := openMapped(r, o[:0], nonce[:], c); err != nil {
			return i
		}
	}
	return (len(r.batch) + segCT - 1) / segCT
}
