package s3

import (
	"context"
	"runtime"
	"testing"
	"time"

	"envelopegw/backend"
	"envelopegw/backend/s3/s3test"
)

// TestNewLeaksNoGoroutine: opening the backend probes the credentials with
// a listing it leaves after one entry; that listing must be cancelled, or
// every New leaves minio-go's producer goroutine blocked for ever.
func TestNewLeaksNoGoroutine(t *testing.T) {
	srv := s3test.StartVersity(t)
	ctx := context.Background()
	// Objects under the probed prefix, so the probe leaves with more to
	// come.
	b, err := New(ctx, Options{Client: srv.Client, Bucket: srv.Bucket, Prefix: "leak"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"probe-a", "probe-b", "probe-c"} {
		if err := b.CreateBucket(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	before := runtime.NumGoroutine()
	const n = 40
	for range n {
		if _, err := New(ctx, Options{Client: srv.Client, Bucket: srv.Bucket, Prefix: "leak"}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+n/4 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before+n/4 {
		t.Errorf("%d goroutines after %d opens, %d before: New leaks its listing", g, n, before)
	}
}

// TestListingsLeakNoGoroutine: a listing page that stops before the end
// of the upstream listing (every truncated List, ListUploads and
// ListParts page, and the sweep's and removePrefix's early returns) must
// release minio-go's producer, which blocks sending its next entry (or
// the cancellation) until it is read: cancelling is not enough, the
// channel has to be drained.
func TestListingsLeakNoGoroutine(t *testing.T) {
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		putSmall(t, b, "bkt", k)
	}
	id, err := b.CreateUpload(ctx, "bkt", "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateUpload(ctx, "bkt", "b", nil); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	const n = 40
	for range n {
		if page, err := b.List(ctx, "bkt", backend.ListOptions{MaxKeys: 1}); err != nil || !page.IsTruncated {
			t.Fatalf("List page of 1: %+v, %v", page, err)
		}
		if page, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{MaxUploads: 1}); err != nil || !page.IsTruncated {
			t.Fatalf("ListUploads page of 1: %+v, %v", page, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+n/4 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before+n/4 {
		t.Errorf("%d goroutines after %d truncated listings, %d before: listings leak minio-go's producer", g, 2*n, before)
	}
	if err := b.AbortUpload(ctx, "bkt", "a", id); err != nil {
		t.Fatal(err)
	}
}
