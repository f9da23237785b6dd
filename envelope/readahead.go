package envelope

import "time"

// aheadBuffers is how many batch buffers a reading-ahead range reader
// holds: the one being opened and handed out, one read and waiting, one
// being read. Two batches ahead absorb a slow read without idling the
// cipher, and bound a large GET's memory to about 770 KiB.
const aheadBuffers = 3

// slowRead is how long a batch read may take before a range reader reads
// ahead. Out of the page cache (or memory) a 256 KiB batch is a copy of
// some 20-50 µs: a goroutine reading ahead would only move that copy to
// the other core, paying hand-offs and a cache transfer for it (measured:
// 15 % more CPU per byte, where a GET from the page cache is CPU bound).
// A read that takes longer waited for a disk, and waiting for the next
// one while this batch is verified is what the read-ahead is for.
const slowRead = 200 * time.Microsecond

// slowReads is how many batch reads in a row must be slow before the
// reader reads ahead. One is not a disk: on a loaded machine a copy out
// of memory is now and then descheduled for milliseconds, and a reader
// that took that for a slow body handed every later copy to a goroutine
// of its own, where the copy lost its cache locality and each batch
// paid two hand-offs (measured under load: readAhead.run a fifth of the
// reader's samples, the decrypt-range ratio of BenchmarkRatio 0.66-0.70
// against 0.74-0.78 with two). A body that waits for a disk or a network
// is slow every time.
const slowReads = 2

// readAhead reads the batches of one range in order in its own goroutine,
// ahead of the reader that opens them, so that the disk (or the copy out
// of the page cache) works while earlier segments are verified. It reads
// ciphertext only: plaintext is still released by the reader, segment by
// segment, after each tag verifies. A read error travels in order, as
// the batch it failed on.
type readAhead struct {
	free chan *[]byte // buffers the reader gave back
	full chan aheadBatch
	quit chan struct{}
	done chan struct{}
	bufs []*[]byte // every buffer, cleared and pooled by stop
}

type aheadBatch struct {
	buf  *[]byte
	plan batchPlan
	ct   []byte
	err  error
}

// startReadAhead starts reading at plaintext offset pos. first is the
// reader's current buffer, which joins the rotation at the first take.
func (r *rangeReader) startReadAhead(first *[]byte, pos int64) *readAhead {
	a := &readAhead{
		free: make(chan *[]byte, aheadBuffers),
		full: make(chan aheadBatch, aheadBuffers),
		quit: make(chan struct{}),
		done: make(chan struct{}),
		bufs: []*[]byte{first},
	}
	for range aheadBuffers - 1 {
		b := getBuf(len(*first))
		a.bufs = append(a.bufs, b)
		a.free <- b
	}
	go a.run(r, pos)
	return a
}

// run reads batch after batch until the range ends, an error, or stop.
// It touches only what a rangeReader never changes after it is made
// (body, parts, seg, end).
func (a *readAhead) run(r *rangeReader, pos int64) {
	defer close(a.done)
	for pos < r.end {
		var buf *[]byte
		select {
		case buf = <-a.free:
		case <-a.quit:
			return
		}
		b := r.plan(pos)
		ct, err := r.load(*buf, b)
		select {
		case a.full <- aheadBatch{buf: buf, plan: b, ct: ct, err: err}:
		case <-a.quit:
			return
		}
		if err != nil {
			return
		}
		pos = b.end
	}
}

// take gives back the buffer the reader is done with and returns the
// next batch.
func (a *readAhead) take(done *[]byte) (*[]byte, batchPlan, []byte, error) {
	a.free <- done // never blocks: the channel holds every buffer
	b := <-a.full
	return b.buf, b.plan, b.ct, b.err
}

// stop ends the goroutine, waiting for a read in progress, then clears
// (opened segments are plaintext) and pools every buffer.
func (a *readAhead) stop() {
	close(a.quit)
	<-a.done
	for _, b := range a.bufs {
		clear(*b)
		putBuf(b)
	}
}
