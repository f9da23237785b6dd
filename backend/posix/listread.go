package posix

import (
	"context"
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

// listWorkers bounds the concurrent head reads of one List call: enough
// to keep a SAN's or a virtio disk's queue busy with a cold page's small
// random reads, few enough that a page's goroutines and buffers stay
// small (each worker holds one pooled 4 KiB buffer at a time).
var listWorkers = 32

// listBatch bounds the entries a List call holds before reading their
// heads, so a caller asking for huge pages does not hold them all at once.
const listBatch = 1024

// listParallelMin is the batch size from which the reads fan out; a short
// page is read in the caller's goroutine.
const listParallelMin = 16

// headReadSlots bounds the head files the fanned-out reads of all
// listings hold open at once. listWorkers bounds one List call only, and
// serve caps connections at a quarter of the descriptor limit counting a
// few descriptors each: a few hundred concurrent cold listings at
// listWorkers each could otherwise exhaust the descriptors and fail every
// other request's open. 256 still lets eight listings fan out fully; a
// short page, read in its caller's goroutine, holds one file and takes
// no slot.
var headReadSlots = make(chan struct{}, 256)

var headBufs = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

// readHead is readRecord(path, kindHead) for listings, with a pooled
// buffer and raw syscalls; n is the record's size. The record decoder
// copies what it keeps, so the buffer goes back to the pool.
func readHead(path string) (r *record, n int, err error) {
	fd, err := openHead(path)
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

// noAtimeRefused is set once the kernel refused O_NOATIME (EPERM: this
// process neither owns the heads nor has CAP_FOWNER).
var noAtimeRefused atomic.Bool

// openHead opens a head for reading without updating its access time
// where the kernel allows it. Under relatime, the first read of a file
// since it was written updates its atime: the first listing of new
// objects would dirty one inode per key listed (a journal write, then
// inode table blocks written back; on a cluster filesystem, an exclusive
// lock per file), for a timestamp nothing in the store reads.
func openHead(path string) (int, error) {
	if !noAtimeRefused.Load() {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOATIME, 0)
		if err != unix.EPERM {
			return fd, err
		}
		noAtimeRefused.Store(true)
	}
	return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
}

// headResult is one head read of a batch. A shared record is also held
// by the directory cache.
type headResult struct {
	rec    *record
	shared bool
	err    error
}

// endsPage reports whether a head read's error ends the listing: a head
// deleted since its directory was read, or a damaged one, costs only its
// own key (addToPage).
func endsPage(err error) bool { return err != nil && !notExist(err) && !damaged(err) }

// readHeads reads the head records of the keys in batch (common prefixes
// have none), listWorkers at a time for a long batch (each read holding
// one of the process's headReadSlots while its file is open), taking and
// keeping them in the directory cache where their directory is cached
// (headcache.go). Results are by index, so the page keeps key order
// whatever order the reads finish in.
//
// The reads are claimed in key order, which on a filesystem that
// allocates a directory's files together is also roughly disk order.
// Once a read fails with an error that ends the page, no entry after it
// is read: addToPage stops at the first such error in key order, so
// their results could not be used (entries before it are all read). A
// canceled ctx stops further reads (those in flight finish) and is the
// error returned.
func (b *Backend) readHeads(ctx context.Context, bucket string, batch []listed) ([]headResult, error) {
	res := make([]headResult, len(batch))
	b.headsFromSnapshots(batch, res)
	fromFile := make([]bool, len(batch))
	var stop atomic.Int64 // index of the first read that ended the page
	stop.Store(int64(len(batch)))
	parallel := len(batch) >= listParallelMin
	read := func(i int) {
		e := &batch[i]
		if e.cp || res[i].rec != nil {
			return
		}
		if r := b.dirs.cachedHead(e.dir, e.idx); r != nil {
			res[i] = headResult{rec: r, shared: true}
			return
		}
		if parallel {
			select {
			case headReadSlots <- struct{}{}:
				defer func() { <-headReadSlots }()
			case <-ctx.Done():
				return // readHeads answers ctx.Err()
			}
		}
		if testHook != nil {
			testHook("list read head " + e.path)
		}
		r, n, err := readHead(e.path)
		res[i] = headResult{rec: r, err: err}
		fromFile[i] = true
		if err == nil {
			res[i].shared = b.dirs.keepHead(e.dir, e.idx, r, n)
		}
		for endsPage(err) {
			s := stop.Load()
			if int64(i) >= s || stop.CompareAndSwap(s, int64(i)) {
				break
			}
		}
	}
	// claim returns the next index to read, or false when there is none
	// left that the page can use.
	var next atomic.Int64
	claim := func() (int, bool) {
		i := next.Add(1) - 1
		return int(i), i < stop.Load() && ctx.Err() == nil
	}
	if !parallel {
		for i, ok := claim(); ok; i, ok = claim() {
			read(i)
		}
	} else {
		var wg sync.WaitGroup
		for range min(listWorkers, len(batch)) {
			wg.Go(func() {
				for i, ok := claim(); ok; i, ok = claim() {
					read(i)
				}
			})
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.askSnapshots(bucket, batch, fromFile)
	return res, nil
}
