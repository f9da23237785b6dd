package posix

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Reading a page's head records.
//
// A listed key costs one head record read, and at backup scale a page of
// 1,000 keys is 1,000 small files: the page's time is those reads. Two
// things make them cheap. Each read is the fewest syscalls that can do it
// (open, read, read to see the end, close; os.Open adds an fstat, fcntls
// and a failed epoll registration for a regular file, and io.ReadAll
// allocates as it grows). And a page's reads run listWorkers at a time,
// so a cold page keeps the disk's queue full instead of waiting for each
// file in turn, and a warm one uses both cores.

// listWorkers bounds the concurrent head reads of one List call.
const listWorkers = 8

// listBatch bounds the entries a List call holds before reading their
// heads, so a caller asking for huge pages does not hold them all at once.
const listBatch = 1024

// listParallelMin is the batch size from which the reads fan out; a short
// page is read in the caller's goroutine.
const listParallelMin = 16

var headBufs = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

// readHead is readRecord(path, kindHead) for listings, with a pooled
// buffer and raw syscalls; n is the record's size. The record decoder
// copies what it keeps, so the buffer goes back to the pool.
func readHead(path string) (r *record, n int, err error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	bp := headBufs.Get().(*[]byte)
	defer headBufs.Put(bp)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, 0, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
		if len(b) >= inlineHeaderSize && string(b[:len(inlineMagic)]) == inlineMagic {
			return readInlineHeadFD(fd, b[:inlineHeaderSize], path)
		}
		if len(b) > maxRecord {
			return nil, 0, fmt.Errorf("%s: record larger than %d bytes: %w", path, maxRecord, errCorrupt)
		}
	}
	if cap(b) <= 64<<10 {
		*bp = b[:0] // keep a grown buffer, unless it is unusually large
	}
	r, err = unmarshalRecord(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if r.Kind != kindHead {
		return nil, 0, fmt.Errorf("%s: record kind %q, want %q: %w", path, r.Kind, kindHead, errCorrupt)
	}
	return r, len(b), nil
}

// headResult is one head read of a batch. A shared record is also held
// by the directory cache.
type headResult struct {
	rec    *record
	shared bool
	err    error
}

// readHeads reads the head records of the keys in batch (common prefixes
// have none), listWorkers at a time for a long batch, taking and keeping
// them in the directory cache where their directory is cached
// (headcache.go).
func (b *Backend) readHeads(batch []listed) []headResult {
	res := make([]headResult, len(batch))
	read := func(i int) {
		e := &batch[i]
		if e.cp {
			return
		}
		if r := b.dirs.cachedHead(e.dir, e.idx); r != nil {
			res[i] = headResult{rec: r, shared: true}
			return
		}
		r, n, err := readHead(e.path)
		res[i] = headResult{rec: r, err: err}
		if err == nil {
			res[i].shared = b.dirs.keepHead(e.dir, e.idx, r, n)
		}
	}
	if len(batch) < listParallelMin {
		for i := range batch {
			read(i)
		}
		return res
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range listWorkers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(batch); i = int(next.Add(1) - 1) {
				read(i)
			}
		})
	}
	wg.Wait()
	return res
}
