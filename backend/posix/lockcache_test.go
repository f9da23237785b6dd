package posix

import (
	"fmt"
	"hash/fnv"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// commitBlocks starts a PUT of bucket/key through b and reports whether
// its commit is still waiting after a while; finish lets it go on (the
// caller releases whatever it holds first) and returns its error.
func commitBlocks(t *testing.T, b *Backend, bucket, key string) (blocked bool, finish func() error) {
	t.Helper()
	w, err := b.NewObject(ctx, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("data"))
	done := make(chan error, 1)
	go func() { done <- commitErr(w, nil) }()
	select {
	case err := <-done:
		return false, func() error { return err }
	case <-time.After(200 * time.Millisecond):
		return true, func() error { return <-done }
	}
}

func stripeName(key string) string {
	h := fnv.New32a()
	h.Write([]byte(key))
	return fmt.Sprintf("k%02x", h.Sum32()%keyStripes)
}

// Kept lock files still exclude other processes: another open file's
// exclusive lock on the bucket lock (DeleteBucket) or on the key's stripe
// (a commit elsewhere) holds a commit here, also after the kept files
// were used and unlocked many times.
func TestKeptLocksExcludeOtherProcesses(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	for i := range 3 {
		mustPut(t, b, "bkt", "k", []byte(fmt.Sprint(i)), nil)
	}
	for _, name := range []string{"bucket", stripeName("k")} {
		other, err := flock(filepath.Join(b.locksDir("bkt"), name), syscall.LOCK_EX)
		if err != nil {
			t.Fatal(err)
		}
		blocked, finish := commitBlocks(t, b, "bkt", "k")
		other.Close()
		if err := finish(); err != nil {
			t.Fatal(err)
		}
		if !blocked {
			t.Fatalf("a commit went through while another process held the %s lock exclusive", name)
		}
	}
}

// A bucket deleted and made again by another process has new lock files:
// the kept ones are stale, and a commit must lock the new bucket's (so
// that the other process's DeleteBucket and commits exclude it), not
// fail and not lock a file nobody else uses.
func TestKeptLocksFollowARecreatedBucket(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "k", []byte("old"), nil)
	other, err := New(b.Root(), Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err = other.Delete(ctx, "bkt", "k"); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	mustCreateBucket(t, other, "bkt")
	mustPut(t, other, "bkt", "x", []byte("x"), nil) // makes the new bucket's lock file
	mustPut(t, b, "bkt", "k", []byte("new"), nil)   // through stale kept files
	for _, name := range []string{"bucket", stripeName("k")} {
		l, err := flock(filepath.Join(other.locksDir("bkt"), name), syscall.LOCK_EX)
		if err != nil {
			t.Fatal(err)
		}
		blocked, finish := commitBlocks(t, b, "bkt", "k")
		l.Close()
		if err := finish(); err != nil {
			t.Fatal(err)
		}
		if !blocked {
			t.Fatalf("after the bucket was made again, a commit ignored the new bucket's %s lock", name)
		}
	}
}

// Goroutines of one process share the kept files but not the locks:
// concurrent commits of one key serialize (each reads the head the
// previous one published, so every commit time is later than the last).
func TestKeptLocksSerializeGoroutines(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	const n = 32
	errs := make(chan error, n)
	for i := range n {
		go func() {
			w, err := b.NewObject(ctx, "bkt", "k")
			if err == nil {
				w.Write([]byte(fmt.Sprint(i)))
				_, err = w.Commit(nil)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if b.locks.kept == 0 || b.locks.buckets[b.locksDir("bkt")].shared != 0 {
		t.Fatalf("kept %d stripe files, bucket lock shared by %d after all commits", b.locks.kept, b.locks.buckets[b.locksDir("bkt")].shared)
	}
}
