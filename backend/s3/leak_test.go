package s3

import (
	"context"
	"runtime"
	"testing"
	"time"

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
