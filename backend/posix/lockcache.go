package posix

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"envelopegw/backend"

	"golang.org/x/sys/unix"
)

// Kept lock files.
//
// lockKey used to open the bucket lock file and a key stripe's lock file
// for every commit, flock them, fstat and stat the bucket lock (to see
// that it is still the bucket's) and close both: ten system calls of a
// small PUT's two dozen. The Backend now keeps them open. flock(2) locks
// belong to the open file description, so a kept file cannot serve two
// goroutines of this process by itself: a second LOCK_EX on the same
// description succeeds at once. Each kept file is therefore paired with
// an in-process lock:
//
//   - A key stripe has a mutex; the goroutine that holds it flocks the
//     kept file exclusive, which excludes the other processes, and
//     unlocks it before releasing the mutex. Two system calls per commit.
//   - The bucket lock is shared, so this process's holders share one
//     LOCK_SH on the kept file: the first takes it, the last drops it,
//     and the ones in between make no system call at all. While any of
//     them holds it, no DeleteBucket (which takes it exclusive through
//     its own open file) can remove the bucket. The first checks, with
//     one stat, that the kept file is still the one at the bucket's path.
//     If not, and it got the lock without waiting, the kept file is
//     merely stale (the bucket was deleted and made again, by any
//     process, since it was opened): every kept file of the bucket, the
//     stripes' included, is closed and the bucket's are opened. If it had
//     to wait, a DeleteBucket removed the bucket meanwhile, and the
//     commit fails with ErrNoSuchBucket, as it always has. Since a kept
//     file stays open, its inode number cannot be reused by a new one.
//
// Stripe files are opened on first use. A Backend keeps at most
// maxKeptLockFiles of them (256 per active bucket at most); past that
// budget a stripe is opened and closed per use, as before. Close, or the
// garbage collector for a Backend nobody closed, closes them all.

// maxKeptLockFiles bounds the stripe lock files one Backend keeps open.
const maxKeptLockFiles = 1024

const keyStripes = 256

type lockCache struct {
	mu      sync.Mutex
	buckets map[string]*bucketLocks
	kept    int // stripe files kept open, over all buckets
	closed  bool
}

// bucketLocks are the kept lock files of one bucket.
type bucketLocks struct {
	dir string // the bucket's locks directory

	bmu    sync.Mutex // guards the fields below
	bfile  *os.File   // the bucket lock file, nil until first use
	bino   uint64     // its inode and device, to compare with the path's
	bdev   uint64
	shared int // holders in this process of the shared flock on bfile

	stripes [keyStripes]stripeLock
}

type stripeLock struct {
	mu sync.Mutex // held by the goroutine holding the stripe's flock
	f  *os.File   // kept file, or nil; guarded by mu
}

func newLockCache() *lockCache { return &lockCache{buckets: map[string]*bucketLocks{}} }

func (c *lockCache) bucket(dir string) (*bucketLocks, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("posix: backend closed")
	}
	e := c.buckets[dir]
	if e == nil {
		e = &bucketLocks{dir: dir}
		c.buckets[dir] = e
	}
	return e, nil
}

// keep reports whether one more stripe file may be kept open.
func (c *lockCache) keep() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.kept >= maxKeptLockFiles {
		return false
	}
	c.kept++
	return true
}

func (c *lockCache) unkeep(n int) {
	c.mu.Lock()
	c.kept -= n
	c.mu.Unlock()
}

// close closes every kept file. Callers must hold no locks of the cache.
func (c *lockCache) close() {
	c.mu.Lock()
	c.closed = true
	buckets := c.buckets
	c.buckets = map[string]*bucketLocks{}
	c.mu.Unlock()
	for _, e := range buckets {
		e.bmu.Lock()
		c.unkeep(e.closeFiles())
		e.bmu.Unlock()
	}
}

// closeFiles closes the bucket's kept files and returns how many stripe
// files it closed. Called with bmu held and no holder of the bucket lock
// in this process, so no goroutine holds a stripe.
func (e *bucketLocks) closeFiles() int {
	if e.bfile != nil {
		e.bfile.Close()
		e.bfile = nil
	}
	n := 0
	for i := range e.stripes {
		if s := &e.stripes[i]; s.f != nil {
			s.f.Close()
			s.f = nil
			n++
		}
	}
	return n
}

// lockKey serializes the head (and upload) changes of one key across
// goroutines and processes: it holds the bucket lock shared (DeleteBucket
// takes it exclusive) and one of 256 key stripes exclusive. Critical
// sections are a few renames long; data is written and fsynced outside.
func (b *Backend) lockKey(bucket, key string) (release func(), err error) {
	e, err := b.locks.bucket(b.locksDir(bucket))
	if err != nil {
		return nil, err
	}
	if err := b.lockBucketShared(e, bucket); err != nil {
		return nil, err
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	s := &e.stripes[h.Sum32()%keyStripes]
	s.mu.Lock()
	f, kept, err := b.stripeFile(e, s, h.Sum32()%keyStripes)
	if err == nil {
		err = flockFD(f, syscall.LOCK_EX)
		if err != nil && !kept {
			f.Close()
		}
	}
	if err != nil {
		s.mu.Unlock()
		e.unlockShared()
		return nil, b.notFound(bucket, err, nil, "lock %s/%s", bucket, key)
	}
	return func() {
		if kept {
			flockFD(f, syscall.LOCK_UN)
		} else {
			f.Close()
		}
		s.mu.Unlock()
		e.unlockShared()
	}, nil
}

// stripeFile returns the open lock file of stripe i (s.mu held): the kept
// one, or one to close after use when the budget is spent.
func (b *Backend) stripeFile(e *bucketLocks, s *stripeLock, i uint32) (f *os.File, kept bool, err error) {
	if s.f != nil {
		return s.f, true, nil
	}
	f, err = openFile(filepath.Join(e.dir, fmt.Sprintf("k%02x", i)), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	if b.locks.keep() {
		s.f = f
		return f, true, nil
	}
	return f, false, nil
}

// lockBucketShared takes this process's share of the bucket lock.
func (b *Backend) lockBucketShared(e *bucketLocks, bucket string) error {
	e.bmu.Lock()
	defer e.bmu.Unlock()
	if e.shared > 0 {
		e.shared++
		return nil
	}
	bpath := filepath.Join(e.dir, "bucket")
	for {
		fresh := e.bfile == nil
		if fresh {
			f, err := openFile(bpath, os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				return b.notFound(bucket, err, nil, "lock bucket %s", bucket)
			}
			var st unix.Stat_t
			if err := unix.Fstat(int(f.Fd()), &st); err != nil {
				f.Close()
				return fmt.Errorf("lock bucket %s: %w", bucket, err)
			}
			e.bfile, e.bino, e.bdev = f, st.Ino, uint64(st.Dev)
		}
		// A kept file is tried without blocking first: if the lock is
		// free and the file is no longer the bucket's, it is merely
		// stale (the bucket was deleted and made again since it was
		// opened), and the file at the path is opened instead.
		waited := fresh
		err := flockFD(e.bfile, syscall.LOCK_SH|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			waited = true
			err = flockFD(e.bfile, syscall.LOCK_SH)
		}
		if err != nil {
			return b.notFound(bucket, err, nil, "lock bucket %s", bucket)
		}
		var st unix.Stat_t
		if err := unix.Stat(bpath, &st); err == nil && st.Ino == e.bino && uint64(st.Dev) == e.bdev {
			e.shared = 1
			return nil
		}
		flockFD(e.bfile, syscall.LOCK_UN)
		b.locks.unkeep(e.closeFiles())
		if waited {
			// A DeleteBucket held the lock while we waited and renamed
			// the bucket away (a new bucket may have taken its name):
			// this commit was for the bucket that is gone.
			return fmt.Errorf("bucket %s was deleted: %w", bucket, backend.ErrNoSuchBucket)
		}
	}
}

func (e *bucketLocks) unlockShared() {
	e.bmu.Lock()
	defer e.bmu.Unlock()
	if e.shared--; e.shared == 0 {
		flockFD(e.bfile, syscall.LOCK_UN)
	}
}

// flockFD applies flock(2) how to f, retrying on EINTR.
func flockFD(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
