package s3

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestListBucketsDuringFailedDeletes: a DeleteBucket of a bucket that is
// not empty rewrites the bucket record twice (its mark and the restore);
// ListBuckets, running all the while, must list the bucket every time.
// Before the bucket index it listed the records, which MinIO's listing
// can leave out while they are rewritten; that miss is rare (the key
// case failed one run in four to eight, on a loaded machine), so this is
// a stress check that guards the index, not a reliable reproduction.
func TestListBucketsDuringFailedDeletes(t *testing.T) {
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "full"); err != nil {
		t.Fatal(err)
	}
	w, err := b.NewObject(ctx, "full", "k")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	if _, err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var deletes int
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := b.DeleteBucket(ctx, "full"); !errors.Is(err, backend.ErrBucketNotEmpty) {
				t.Errorf("DeleteBucket of a bucket with an object: %v", err)
				return
			}
			deletes++
		}
	})
	lists := 0
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); lists++ {
		bs, err := b.ListBuckets(ctx)
		if err != nil || len(bs) != 1 || bs[0].Name != "full" {
			t.Errorf("ListBuckets during a failing DeleteBucket: %v, %+v", err, bs)
			break
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d listings during %d failed deletes", lists, deletes)
	if deletes == 0 {
		t.Fatal("no DeleteBucket ran")
	}
}
