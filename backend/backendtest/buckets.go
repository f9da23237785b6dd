package backendtest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"envelopegw/backend"
)

func testBuckets(t *testing.T, b backend.Backend) {
	list, err := b.ListBuckets(ctx)
	noErr(t, "ListBuckets on an empty store", err)
	if len(list) != 0 {
		t.Fatalf("new store lists buckets %v", list)
	}
	before := time.Now().Add(-time.Second)
	names := []string{"zeta", "alpha-1", "m.n.o", "b00", "123"}
	for _, n := range names {
		mkBucket(t, b, n)
	}
	wantErr(t, "CreateBucket of an existing bucket", b.CreateBucket(ctx, "b00"), backend.ErrBucketExists)
	info, err := b.HeadBucket(ctx, "m.n.o")
	noErr(t, "HeadBucket", err)
	if info.Name != "m.n.o" || info.Created.Before(before) || info.Created.After(time.Now().Add(time.Second)) {
		t.Fatalf("HeadBucket = %+v", info)
	}
	_, err = b.HeadBucket(ctx, "nope")
	wantErr(t, "HeadBucket of a missing bucket", err, backend.ErrNoSuchBucket)
	list, err = b.ListBuckets(ctx)
	noErr(t, "ListBuckets", err)
	want := []string{"123", "alpha-1", "b00", "m.n.o", "zeta"}
	if len(list) != len(want) {
		t.Fatalf("ListBuckets = %v, want %v", list, want)
	}
	for i, bi := range list {
		if bi.Name != want[i] || bi.Created.IsZero() {
			t.Fatalf("ListBuckets[%d] = %+v, want name %q and a creation time", i, bi, want[i])
		}
	}
}

func testBucketNames(t *testing.T, b backend.Backend) {
	bad := []string{
		"", strings.Repeat("a", 64), "Upper", "under_score", "-dash", "dash-",
		".dot", "dot.", "a..b", "192.168.1.1", "sp ace", "sl/ash", "..", "../x", "a\x00b",
		"xn--abc", ".envelopegw", "buckets",
	}
	// "buckets" is a valid S3 name; it must work like any other.
	bad = bad[:len(bad)-1]
	for _, n := range bad {
		wantErr(t, "CreateBucket("+n+")", b.CreateBucket(ctx, n), backend.ErrInvalidBucket)
		_, err := b.HeadBucket(ctx, n)
		if err == nil {
			t.Fatalf("HeadBucket(%q) succeeded", n)
		}
		_, err = b.NewObject(ctx, n, "k")
		if err == nil {
			t.Fatalf("NewObject in bucket %q succeeded", n)
		}
	}
	good := []string{"abc", strings.Repeat("a", 63), "a-b.c-d", "0a0", "buckets", "objects", "tmp", "1.2.3"}
	for _, n := range good {
		mkBucket(t, b, n)
		put(t, b, n, "k", []byte(n), nil)
		mustGet(t, b, n, "k", []byte(n))
	}
	list, err := b.ListBuckets(ctx)
	noErr(t, "ListBuckets", err)
	if len(list) != len(good) {
		t.Fatalf("ListBuckets has %d buckets, want %d: %v", len(list), len(good), list)
	}
}

func testDeleteBucket(t *testing.T, b backend.Backend) {
	wantErr(t, "DeleteBucket of a missing bucket", b.DeleteBucket(ctx, "ghost"), backend.ErrNoSuchBucket)
	mkBucket(t, b, "full")
	put(t, b, "full", "deep/down/key", []byte("x"), nil)
	wantErr(t, "DeleteBucket with an object", b.DeleteBucket(ctx, "full"), backend.ErrBucketNotEmpty)
	noErr(t, "Delete", b.Delete(ctx, "full", "deep/down/key"))

	noErr(t, "DeleteBucket of an emptied bucket", b.DeleteBucket(ctx, "full"))
	_, err := b.HeadBucket(ctx, "full")
	wantErr(t, "HeadBucket after DeleteBucket", err, backend.ErrNoSuchBucket)
	_, err = b.Stat(ctx, "full", "deep/down/key")
	wantErr(t, "Stat in a deleted bucket", err, backend.ErrNoSuchBucket)
	_, err = b.List(ctx, "full", backend.ListOptions{})
	wantErr(t, "List of a deleted bucket", err, backend.ErrNoSuchBucket)
	_, err = b.ListUploads(ctx, "full", backend.UploadListOptions{})
	wantErr(t, "ListUploads of a deleted bucket", err, backend.ErrNoSuchBucket)
	if w, err := b.NewObject(ctx, "full", "k"); err == nil {
		_, err = w.Write([]byte("x"))
		if err == nil {
			_, err = w.Commit(nil)
		}
		wantErr(t, "writing into a deleted bucket", err, backend.ErrNoSuchBucket)
	} else {
		wantErr(t, "NewObject in a deleted bucket", err, backend.ErrNoSuchBucket)
	}
	wantErr(t, "DeleteBucket twice", b.DeleteBucket(ctx, "full"), backend.ErrNoSuchBucket)

	// A recreated bucket starts empty.
	mkBucket(t, b, "full")
	page, err := b.List(ctx, "full", backend.ListOptions{})
	noErr(t, "List of a recreated bucket", err)
	if len(page.Objects)+len(page.CommonPrefixes) != 0 {
		t.Fatalf("recreated bucket lists %+v", page)
	}
	noErr(t, "DeleteBucket", b.DeleteBucket(ctx, "full"))
}

func testCreateBucketRace(t *testing.T, b backend.Backend) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.CreateBucket(ctx, "contested")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantErr(t, "losing CreateBucket", err, backend.ErrBucketExists)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent CreateBucket calls succeeded, want 1", ok)
	}
}

// testDeleteBucketUploads: uploads in progress do not keep a bucket from
// being deleted (S3 removes them with it); an object does, whatever
// uploads there are.
func testDeleteBucketUploads(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "mp", nil)
	noErr(t, "CreateUpload", err)
	putPart(t, b, "bkt", "mp", id, 1, []byte("part"), nil)
	put(t, b, "bkt", "obj", []byte("x"), nil)
	wantErr(t, "DeleteBucket with an object and an upload", b.DeleteBucket(ctx, "bkt"), backend.ErrBucketNotEmpty)
	_, err = b.StatUpload(ctx, "bkt", "mp", id)
	noErr(t, "StatUpload after a refused DeleteBucket", err)
	noErr(t, "Delete", b.Delete(ctx, "bkt", "obj"))
	noErr(t, "DeleteBucket with only an upload", b.DeleteBucket(ctx, "bkt"))
	_, err = b.StatUpload(ctx, "bkt", "mp", id)
	wantErr(t, "StatUpload in a deleted bucket", err, backend.ErrNoSuchBucket)
	mkBucket(t, b, "bkt")
	page, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{})
	noErr(t, "ListUploads of the recreated bucket", err)
	if len(page.Uploads) != 0 {
		t.Fatalf("recreated bucket has uploads %+v", page.Uploads)
	}
	_, err = b.StatUpload(ctx, "bkt", "mp", id)
	wantErr(t, "old upload in the recreated bucket", err, backend.ErrNoSuchUpload)
}

// testDeleteBucketRace: parts and completes committed while the bucket is
// deleted either land before (and a completed object keeps the bucket) or
// fail with NoSuchBucket; nothing of the old bucket shows in a new bucket
// of the same name.
func testDeleteBucketRace(t *testing.T, b backend.Backend) {
	for round := range 10 {
		mkBucket(t, b, "bkt")
		id, err := b.CreateUpload(ctx, "bkt", "mp", nil)
		noErr(t, "CreateUpload", err)
		complete := round%2 == 1
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; n <= 20; n++ {
				w, err := b.NewPart(ctx, "bkt", "mp", id, n)
				if err == nil {
					w.Write(pattern(byte(n), 100))
					_, err = w.Commit(nil)
				}
				if err == nil && complete && n == 3 {
					var parts []backend.PartInfo
					if parts, err = b.ListParts(ctx, "bkt", "mp", id); err == nil {
						_, err = b.CompleteUpload(ctx, "bkt", "mp", id, []backend.PartRef{{Number: parts[0].Number, ID: parts[0].ID}}, nil)
					}
					if err == nil {
						return
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
		delErr := b.DeleteBucket(ctx, "bkt")
		wg.Wait()
		close(errs)
		writerErr := <-errs
		if delErr == nil {
			if writerErr != nil && !errors.Is(writerErr, backend.ErrNoSuchBucket) && !errors.Is(writerErr, backend.ErrNoSuchUpload) {
				t.Fatalf("round %d: writer racing DeleteBucket: %v", round, writerErr)
			}
			mkBucket(t, b, "bkt")
			page, err := b.List(ctx, "bkt", backend.ListOptions{})
			noErr(t, "List", err)
			up, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{})
			noErr(t, "ListUploads", err)
			if len(page.Objects) != 0 || len(up.Uploads) != 0 {
				t.Fatalf("round %d: recreated bucket holds %+v %+v", round, page.Objects, up.Uploads)
			}
		} else {
			wantErr(t, "DeleteBucket racing a complete", delErr, backend.ErrBucketNotEmpty)
			if !complete {
				t.Fatalf("round %d: DeleteBucket refused a bucket without objects", round)
			}
			noErr(t, "writer", writerErr)
			mustGet(t, b, "bkt", "mp", pattern(1, 100))
			noErr(t, "Delete", b.Delete(ctx, "bkt", "mp"))
		}
		noErr(t, "DeleteBucket", b.DeleteBucket(ctx, "bkt"))
	}
}
