package s3

import (
	"context"
	"errors"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestStalledDeleteBucketTakenOver: a DeleteBucket marks its bucket,
// finds it empty, and stalls past the mark's age; a PUT on another
// gateway meets the stale mark. The PUT used to ignore the mark and be
// acknowledged, and the DeleteBucket then woke up, removed the bucket
// and everything of its generation: an acknowledged object gone. Now the
// PUT takes the mark away and the DeleteBucket, whose decision is
// conditioned on its mark, fails with BucketNotEmpty.
func TestStalledDeleteBucketTakenOver(t *testing.T) {
	b, _ := sharedBackend(t)
	ctx := context.Background()
	b2, err := New(ctx, Options{Client: b.c, Bucket: b.bucket, Prefix: b.base})
	if err != nil {
		t.Fatal(err)
	}
	const age = 200 * time.Millisecond
	b.staleAge, b2.staleAge = age, age
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	var perr error
	onHook(t, "bucket-found-empty", func() {
		time.Sleep(age + age/2) // the stall: the mark grows old
		w, err := b2.NewObject(ctx, "bkt", "k")
		if err != nil {
			perr = err
			return
		}
		w.Write([]byte("acknowledged"))
		_, perr = w.Commit(nil)
	})
	derr := b.DeleteBucket(ctx, "bkt")
	t.Logf("stalled DeleteBucket = %v; PUT on the other gateway = %v", derr, perr)
	if perr != nil {
		if derr != nil {
			t.Fatalf("DeleteBucket = %v and PUT = %v: one of them must succeed", derr, perr)
		}
		return // the bucket went, the PUT was not acknowledged
	}
	if got, err := readBack(b, "bkt", "k"); err != nil || string(got) != "acknowledged" {
		t.Fatalf("DeleteBucket = %v after an acknowledged PUT: object reads %q, %v", derr, got, err)
	}
	if !errors.Is(derr, backend.ErrBucketNotEmpty) {
		t.Errorf("DeleteBucket = %v, want ErrBucketNotEmpty", derr)
	}
}

// TestDecidedBucketRecord: a DeleteBucket that decided but could not
// remove the bucket record leaves it marked deleted: the bucket is gone,
// and can be created again.
func TestDecidedBucketRecord(t *testing.T) {
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if _, err := b.putJSON(ctx, b.bucketName("bkt"), bucketRecord{Created: time.Now(), Gen: "0123456789abcdef", Deleted: true}, "*"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.HeadBucket(ctx, "bkt"); !errors.Is(err, backend.ErrNoSuchBucket) {
		t.Fatalf("HeadBucket of a decided bucket = %v, want ErrNoSuchBucket", err)
	}
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatalf("CreateBucket over a decided record = %v", err)
	}
	putObject(t, b, "bkt", "k", []byte("x"))
	if got, err := readBack(b, "bkt", "k"); err != nil || string(got) != "x" {
		t.Fatalf("object in the recreated bucket reads %q, %v", got, err)
	}
}
