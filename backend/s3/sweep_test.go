package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend"
	"envelopegw/backend/s3/s3test"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	os.Exit(code)
}

var sharedSeq atomic.Int64

// sharedBackend is a Backend under a fresh prefix of the shared MinIO.
func sharedBackend(t *testing.T) (*Backend, *s3test.Server) {
	t.Helper()
	srv := s3test.SharedMinIO(t)
	b, err := New(context.Background(), Options{Client: srv.Client, Bucket: srv.Bucket, Prefix: fmt.Sprintf("t%d-%s", sharedSeq.Add(1), randHex(4))})
	if err != nil {
		t.Fatal(err)
	}
	return b, srv
}

// upstreamNames lists the upstream objects and open multipart uploads
// under the backend's prefix.
func upstreamNames(t *testing.T, b *Backend, sub string) (objects, uploads []string) {
	t.Helper()
	ctx := context.Background()
	for o := range b.c.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: b.base + sub, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		objects = append(objects, strings.TrimPrefix(o.Key, b.base))
	}
	for u := range b.c.ListIncompleteUploads(ctx, b.bucket, b.base+sub, true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		uploads = append(uploads, strings.TrimPrefix(u.Key, b.base))
	}
	return objects, uploads
}

// TestAbortAbortsUpstreamUpload: a writer aborted after more than one
// upstream part was streamed leaves no upstream multipart upload and no
// data object behind.
func TestAbortAbortsUpstreamUpload(t *testing.T) {
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	w, err := b.NewObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte("c"), 6<<20)); err != nil {
		t.Fatal(err)
	}
	// The first upstream part is on its way: an upload exists upstream
	// (MinIO lists uploads only by their exact object name).
	name := w.(*stream).name
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, ups := upstreamNames(t, b, name); len(ups) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no upstream multipart upload started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if objs, ups := upstreamNames(t, b, name); len(objs)+len(ups) != 0 {
		t.Fatalf("after Abort upstream holds data %v and uploads %v", objs, ups)
	}
}

// TestSweepLeftovers: Sweep removes what crashed writers leave upstream
// (an orphan data object, the data of a dead bucket generation, a stale
// upstream multipart upload) and nothing that a record names: a live
// object's data and the parts of an open upload stay usable.
//
// MinIO lists multipart uploads only by exact object name, so a sweep
// finds no stale upload there (MinIO expires them itself, after 24 hours
// by default); versitygw lists them by prefix, as AWS S3 does.
func TestSweepLeftovers(t *testing.T) {
	t.Run("minio", func(t *testing.T) {
		b, srv := sharedBackend(t)
		sweepLeftovers(t, b, srv, 0)
	})
	t.Run("versitygw", func(t *testing.T) {
		srv := s3test.StartVersity(t)
		b, err := New(context.Background(), Options{Client: srv.Client, Bucket: srv.Bucket, Prefix: "sweep"})
		if err != nil {
			t.Fatal(err)
		}
		sweepLeftovers(t, b, srv, 1)
	})
}

func sweepLeftovers(t *testing.T, b *Backend, srv *s3test.Server, wantUploads int) {
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	write := func(w backend.Writer, err error, data string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
		if _, err := w.Commit(nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := b.NewObject(ctx, "bkt", "kept")
	write(w, err, "kept")
	w, err = b.NewObject(ctx, "bkt", "replaced")
	write(w, err, "one")
	w, err = b.NewObject(ctx, "bkt", "replaced")
	write(w, err, "two")
	id, err := b.CreateUpload(ctx, "bkt", "open", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err = b.NewPart(ctx, "bkt", "open", id, 1)
	write(w, err, "part")
	gen, err := b.gen(ctx, "bkt")
	if err != nil {
		t.Fatal(err)
	}
	// What crashes leave: raw upstream writes no record names.
	for _, n := range []string{"d/bkt/" + gen + "/" + randHex(16), "d/bkt/00000000dead0000/" + randHex(16)} {
		if _, err := srv.Client.PutObject(ctx, srv.Bucket, b.base+n, strings.NewReader("leftover"), 8, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.core.NewMultipartUpload(ctx, b.bucket, b.base+"d/bkt/"+gen+"/"+randHex(16), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := upstreamNames(t, b, "d/")

	// A cutoff in the past spares everything.
	if st, err := b.Sweep(ctx, time.Now().Add(-time.Hour)); err != nil || st != (SweepStats{}) {
		t.Fatalf("Sweep with nothing old enough: %+v, %v", st, err)
	}
	st, err := b.Sweep(ctx, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if st.Orphans != 2 || st.Uploads != wantUploads || st.Bytes != 16 {
		t.Fatalf("Sweep removed %+v, want 2 orphans of 8 bytes and %d uploads", st, wantUploads)
	}
	after, ups := upstreamNames(t, b, "d/")
	if len(after) != len(before)-2 || len(ups) != 0 {
		t.Fatalf("upstream data before %v, after %v, uploads left %v", before, after, ups)
	}
	o, err := b.Open(ctx, "bkt", "kept")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.NewSectionReader(o, 0, o.Info().Size))
	if err != nil || string(got) != "kept" {
		t.Fatalf("kept reads %q, %v", got, err)
	}
	parts, err := b.ListParts(ctx, "bkt", "open", id)
	if err != nil || len(parts) != 1 {
		t.Fatalf("ListParts: %v %v", parts, err)
	}
	if _, err := b.CompleteUpload(ctx, "bkt", "open", id, []backend.PartRef{{Number: 1, ID: parts[0].ID}}, nil); err != nil {
		t.Fatalf("completing the open upload after the sweep: %v", err)
	}
}
