package posix

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestCommitAfterBucketReplaced: a commit that waited for the bucket lock
// while DeleteBucket removed the bucket and a new bucket took its name
// must fail, not publish in the new bucket a head written for the old one.
func TestCommitAfterBucketReplaced(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	// Play DeleteBucket: hold the bucket lock exclusive.
	l, err := flock(filepath.Join(b.locksDir("bkt"), "bucket"), syscall.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.NewObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("old bucket's data"))
	done := make(chan error, 1)
	go func() { done <- commitErr(w, nil) }()
	// Wait until the commit has sealed its file (the header is written
	// last) and is waiting for the lock.
	tmp := w.(*writer).tmp
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if isInlineFile(tmp) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the commit never sealed its file")
		}
	}
	time.Sleep(20 * time.Millisecond)
	if err := os.Rename(b.bucketDir("bkt"), filepath.Join(b.bucketsDir(), gonebucketPrefix+"test")); err != nil {
		t.Fatal(err)
	}
	mustCreateBucket(t, b, "bkt")
	l.Close()
	if err := <-done; !errors.Is(err, backend.ErrNoSuchBucket) {
		t.Fatalf("commit into a replaced bucket = %v, want ErrNoSuchBucket", err)
	}
	if _, err := b.Stat(ctx, "bkt", "k"); !errors.Is(err, backend.ErrNoSuchKey) {
		t.Fatalf("the new bucket has the old bucket's object: Stat = %v", err)
	}
}
