package s3

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"envelopegw/backend"
)

// Every listing must show what exists while it is overwritten. These
// tests run the backend through a hideProxy, which hides an object from
// upstream listings for as long as an overwrite of it is in flight (what
// MinIO was seen to do, now and then), and list in that window.

func putSmall(t *testing.T, b *Backend, bucket, key string) backend.ObjectInfo {
	t.Helper()
	w, err := b.NewObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	info, err := w.Commit(nil)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func sendPart(ctx context.Context, b *Backend, bucket, key, id string, n int) (string, error) {
	w, err := b.NewPart(ctx, bucket, key, id, n)
	if err != nil {
		return "", err
	}
	defer w.Abort()
	w.Write([]byte{byte(n)})
	info, err := w.Commit(nil)
	return info.Version, err
}

// TestListPartsWhilePartResent: ListParts (and so CompleteUpload, which
// reads the same part list) lists a part while it is being re-sent.
func TestListPartsWhilePartResent(t *testing.T) {
	t.Parallel()
	b, hp := hidingBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		if _, err := sendPart(ctx, b, "bkt", "k", id, n); err != nil {
			t.Fatal(err)
		}
	}
	var resent string
	err = hp.during(t, `/p/.*/00002$`, func() (err error) {
		resent, err = sendPart(ctx, b, "bkt", "k", id, 2)
		return err
	}, func() error {
		ps, err := b.ListParts(ctx, "bkt", "k", id)
		if err == nil && len(ps) != 3 {
			err = fmt.Errorf("ListParts while part 2 is re-sent: %+v, want parts 1, 2 and 3", ps)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := b.ListParts(ctx, "bkt", "k", id)
	if err != nil || len(ps) != 3 || ps[1].ID != resent {
		t.Fatalf("after the re-send: %+v, %v; want part 2 at %s", ps, err, resent)
	}
}

// TestListUploadsWhileCompleteFails: a CompleteUpload whose condition
// fails claims the upload record and then restores it; ListUploads lists
// the upload all the while (it never stopped being in progress).
func TestListUploadsWhileCompleteFails(t *testing.T) {
	t.Parallel()
	b, hp := hidingBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := sendPart(ctx, b, "bkt", "k", id, 1)
	if err != nil {
		t.Fatal(err)
	}
	err = hp.during(t, `/u/`, func() error {
		_, err := b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 1, ID: pid}}, nil, backend.Cond{IfVersion: "gone"})
		return err
	}, func() error {
		page, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{})
		if err == nil && (len(page.Uploads) != 1 || page.Uploads[0].UploadID != id) {
			err = fmt.Errorf("ListUploads while a Complete claims the upload: %+v, want upload %s", page.Uploads, id)
		}
		return err
	})
	if !errors.Is(err, backend.ErrPrecondition) {
		t.Fatalf("CompleteUpload with a failing condition: %v", err)
	}
	if _, err := b.StatUpload(ctx, "bkt", "k", id); err != nil {
		t.Fatalf("the upload after a failed Complete: %v", err)
	}
}

// TestListWhileHeadRewritten: List lists a key while its head is
// rewritten (SetMeta), and ListBuckets a bucket while a DeleteBucket
// that finds it not empty rewrites its record.
func TestListWhileHeadRewritten(t *testing.T) {
	t.Parallel()
	b, hp := hidingBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	putSmall(t, b, "bkt", "k")
	err := hp.during(t, `/k/`, func() error {
		_, err := b.SetMeta(ctx, "bkt", "k", backend.Meta{"a": "b"}, time.Time{})
		return err
	}, func() error {
		page, err := b.List(ctx, "bkt", backend.ListOptions{})
		if err == nil && len(page.Objects) != 1 {
			err = fmt.Errorf("List while the head is rewritten: %+v", page.Objects)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hp.during(t, `/b/bkt$`, func() error { return b.DeleteBucket(ctx, "bkt") }, func() error {
		bs, err := b.ListBuckets(ctx)
		if err == nil && len(bs) != 1 {
			err = fmt.Errorf("ListBuckets while a DeleteBucket marks the bucket: %+v", bs)
		}
		return err
	})
	if !errors.Is(err, backend.ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket of a bucket with an object: %v", err)
	}
}
