package gateway

import (
	"context"
	"sync"
	"testing"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// hookBody runs fn once, when the service first reads the body: after the
// condition was evaluated, before the commit.
type hookBody struct {
	*testBody
	once sync.Once
	fn   func()
}

func (b *hookBody) Read(p []byte) (int, error) {
	b.once.Do(b.fn)
	return b.testBody.Read(p)
}

func condPut(s *Service, key string, data []byte, c s3api.WriteConditions, hook func()) (*s3api.PutObjectOutput, error) {
	var body s3api.Body = newBody(data)
	if hook != nil {
		body = &hookBody{testBody: newBody(data), fn: hook}
	}
	return s.PutObject(context.Background(), &s3api.PutObjectInput{
		Bucket: "bkt", Key: key, Body: body, Size: int64(len(data)), Cond: c,
	})
}

func TestConditionalPutObject(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	mustBucket(t, s, "bkt")
	create := s3api.WriteConditions{IfNoneMatch: true}

	if _, err := condPut(s, "k", []byte("first"), create, nil); err != nil {
		t.Fatal(err)
	}
	_, err := condPut(s, "k", []byte("second"), create, func() { t.Error("the body of a doomed create-only PUT was read") })
	wantCode(t, err, "PreconditionFailed", 412)
	_, err = condPut(s, "k", []byte("second"), s3api.WriteConditions{IfMatch: md5hex([]byte("other"))}, nil)
	wantCode(t, err, "PreconditionFailed", 412)
	_, err = condPut(s, "nokey", []byte("second"), s3api.WriteConditions{IfMatch: md5hex([]byte("first"))}, nil)
	wantCode(t, err, "NoSuchKey", 404)
	if _, err := condPut(s, "k", []byte("second"), s3api.WriteConditions{IfMatch: md5hex([]byte("first"))}, nil); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "bkt", "k"); string(got) != "second" {
		t.Fatalf("object is %q", got)
	}

	// The object appears while the body streams: the loser of the race
	// gets 412, as from S3, and the winner's object stays.
	_, err = condPut(s, "raced", []byte("loser"), create, func() { put(t, s, "bkt", "raced", []byte("winner")) })
	wantCode(t, err, "PreconditionFailed", 412)
	if got := readAll(t, s, "bkt", "raced"); string(got) != "winner" {
		t.Fatalf("object is %q", got)
	}
	// Replaced by identical bytes while the body streams: the ETag still
	// matches, but this is not the version the condition saw: 409.
	_, err = condPut(s, "raced", []byte("cas"), s3api.WriteConditions{IfMatch: md5hex([]byte("winner"))},
		func() { put(t, s, "bkt", "raced", []byte("winner")) })
	wantCode(t, err, "ConditionalRequestConflict", 409)
	// Deleted while the body streams: 404, as S3 answers.
	_, err = condPut(s, "raced", []byte("cas"), s3api.WriteConditions{IfMatch: md5hex([]byte("winner"))},
		func() { s.DeleteObject(context.Background(), "bkt", "raced") })
	wantCode(t, err, "NoSuchKey", 404)
	if _, err := s.GetObject(context.Background(), "bkt", "raced"); err == nil {
		t.Fatal("a failed conditional PUT left an object")
	}
}

func TestConditionalComplete(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "k", []byte("old"))
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	p := uploadPart(t, s, "bkt", "k", id, 1, []byte("new"))
	in := &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "k", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: p.ETag}}, Cond: s3api.WriteConditions{IfNoneMatch: true}}
	_, err = s.CompleteMultipartUpload(ctx, in)
	wantCode(t, err, "PreconditionFailed", 412)
	in.Cond = s3api.WriteConditions{IfMatch: md5hex([]byte("stale"))}
	_, err = s.CompleteMultipartUpload(ctx, in)
	wantCode(t, err, "PreconditionFailed", 412)
	if got := readAll(t, s, "bkt", "k"); string(got) != "old" {
		t.Fatalf("object is %q after refused completes", got)
	}
	// The upload survived the refusals.
	in.Cond = s3api.WriteConditions{IfMatch: md5hex([]byte("old"))}
	if _, err := s.CompleteMultipartUpload(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "bkt", "k"); string(got) != "new" {
		t.Fatalf("object is %q", got)
	}
}

// hookDelete runs before on the first Delete it forwards.
type hookDelete struct {
	backend.Backend
	before func()
}

func (h *hookDelete) Delete(ctx context.Context, bucket, key string, cond ...backend.Cond) error {
	if f := h.before; f != nil {
		h.before = nil
		f()
	}
	return h.Backend.Delete(ctx, bucket, key, cond...)
}

func TestConditionalDeleteObject(t *testing.T) {
	e := newEnv(t)
	hook := &hookDelete{}
	s := e.service(func(c *Config) { hook.Backend = c.Backend; c.Backend = hook })
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	etag := put(t, s, "bkt", "k", []byte("data")).ETag
	size := func(n int64) *int64 { return &n }

	wantCode(t, s.DeleteObject(ctx, "bkt", "k", s3api.DeleteConditions{IfMatch: "nope"}), "PreconditionFailed", 412)
	wantCode(t, s.DeleteObject(ctx, "bkt", "k", s3api.DeleteConditions{IfSize: size(5)}), "PreconditionFailed", 412)
	// The plaintext size is compared, not the stored ciphertext's.
	if err := s.DeleteObject(ctx, "bkt", "k", s3api.DeleteConditions{IfMatch: etag, IfSize: size(4)}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteObject(ctx, "bkt", "k", s3api.DeleteConditions{IfMatch: etag}), "NoSuchKey", 404)

	// Replaced by the same bytes between the check and the delete: the
	// ETag still matches but the version is not the one checked: 409.
	put(t, s, "bkt", "k", []byte("data"))
	hook.before = func() { put(t, s, "bkt", "k", []byte("data")) }
	wantCode(t, s.DeleteObject(ctx, "bkt", "k", s3api.DeleteConditions{IfMatch: etag}), "ConditionalRequestConflict", 409)
	// Replaced by other bytes: the condition fails now: 412.
	hook.before = func() { put(t, s, "bkt", "k", []byte("other")) }
	wantCode(t, s.DeleteObject(ctx, "bkt", "k", s3api.DeleteConditions{IfMatch: etag}), "PreconditionFailed", 412)
	if got := readAll(t, s, "bkt", "k"); string(got) != "other" {
		t.Fatalf("object is %q", got)
	}
}
