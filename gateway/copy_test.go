package gateway

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"envelopegw/envelope"
	"envelopegw/s3api"
)

func TestCopyObject(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	mustBucket(t, s, "ckt")
	data := randBytes(150000)
	_, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "src", Body: newBody(data), Size: int64(len(data)),
		Meta: s3api.ObjectMeta{ContentType: "text/a", User: map[string]string{"x": "1"}}})
	if err != nil {
		t.Fatal(err)
	}

	// COPY keeps the source's metadata and ETag.
	out, err := s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "ckt", DstKey: "dst",
		Meta: s3api.ObjectMeta{ContentType: "ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ETag != md5hex(data) || out.LastModified.IsZero() {
		t.Errorf("CopyObject = %+v", out)
	}
	r, err := s.GetObject(ctx, "ckt", "dst")
	if err != nil {
		t.Fatal(err)
	}
	if i := r.Info(); i.Meta.ContentType != "text/a" || i.Meta.User["x"] != "1" || i.ETag != md5hex(data) {
		t.Errorf("copied Info = %+v", i)
	}
	r.Close()
	if got := readAll(t, s, "ckt", "dst"); !bytes.Equal(got, data) {
		t.Fatal("copy reads back wrong")
	}

	// REPLACE takes the request's metadata.
	if _, err := s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "dst2",
		ReplaceMeta: true, Meta: s3api.ObjectMeta{ContentType: "text/b"}}); err != nil {
		t.Fatal(err)
	}
	r, _ = s.GetObject(ctx, "bkt", "dst2")
	if i := r.Info(); i.Meta.ContentType != "text/b" || i.Meta.User != nil {
		t.Errorf("REPLACE copy Info = %+v", i)
	}
	r.Close()

	// Onto itself: REPLACE rewrites metadata only; COPY is refused.
	if _, err := s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "src",
		ReplaceMeta: true, Meta: s3api.ObjectMeta{ContentType: "text/c", User: map[string]string{"y": "2"}}}); err != nil {
		t.Fatal(err)
	}
	r, _ = s.GetObject(ctx, "bkt", "src")
	if i := r.Info(); i.Meta.ContentType != "text/c" || i.Meta.User["y"] != "2" || i.Meta.User["x"] != "" || i.ETag != md5hex(data) {
		t.Errorf("self-copy Info = %+v", i)
	}
	r.Close()
	if got := readAll(t, s, "bkt", "src"); !bytes.Equal(got, data) {
		t.Fatal("self-copy changed the data")
	}
	_, err = s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "src"})
	wantCode(t, err, "InvalidRequest", 400)

	// SourceCheck runs first, and its error stops the copy.
	stop := s3api.ErrPreconditionFailed
	_, err = s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "never",
		SourceCheck: func(i *s3api.ObjectInfo) error {
			if i.Size != int64(len(data)) || i.ETag != md5hex(data) {
				t.Errorf("SourceCheck got %+v", i)
			}
			return stop
		}})
	if err != stop {
		t.Errorf("CopyObject with failing SourceCheck: %v", err)
	}
	if _, err := s.GetObject(ctx, "bkt", "never"); !errors.Is(err, s3api.ErrNoSuchKey) {
		t.Errorf("a refused copy wrote the destination: %v", err)
	}
	_, err = s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "missing", DstBucket: "bkt", DstKey: "x"})
	wantCode(t, err, "NoSuchKey", 404)
	_, err = s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "nobucket", DstKey: "x"})
	wantCode(t, err, "NoSuchBucket", 404)
}

func TestUploadPartCopy(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	s.minPartSize = 1
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	data := randBytes(300000)
	put(t, s, "bkt", "src", data)
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "dst"})
	if err != nil {
		t.Fatal(err)
	}
	o1, err := s.UploadPartCopy(ctx, &s3api.UploadPartCopyInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 1,
		SrcBucket: "bkt", SrcKey: "src", Range: &s3api.ByteRange{First: 1000, Last: 99999}})
	if err != nil {
		t.Fatal(err)
	}
	if o1.ETag != md5hex(data[1000:100000]) {
		t.Errorf("UploadPartCopy ETag %s", o1.ETag)
	}
	o2, err := s.UploadPartCopy(ctx, &s3api.UploadPartCopyInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 2, SrcBucket: "bkt", SrcKey: "src"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.UploadPartCopy(ctx, &s3api.UploadPartCopyInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 3,
		SrcBucket: "bkt", SrcKey: "src", Range: &s3api.ByteRange{First: 0, Last: int64(len(data))}})
	wantCode(t, err, "InvalidRange", 416)

	// In ingest-only mode the source cannot be decrypted.
	_, err = e.ingestOnly().UploadPartCopy(ctx, &s3api.UploadPartCopyInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 3, SrcBucket: "bkt", SrcKey: "src"})
	wantCode(t, err, "AccessDenied", 403)

	if _, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "dst", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2.ETag}}}); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "bkt", "dst"); !bytes.Equal(got, append(append([]byte{}, data[1000:100000]...), data...)) {
		t.Fatal("part copies read back wrong")
	}
}

// TestIngestOnly: a gateway holding only public keys stores, lists, heads
// and copies, but every read is a 403 that explains itself.
func TestIngestOnly(t *testing.T) {
	e := newEnv(t)
	in := e.ingestOnly()
	ctx := context.Background()
	mustBucket(t, in, "bkt")
	data := randBytes(100000)
	put(t, in, "bkt", "k", data)

	r, err := in.GetObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	if r.Info().Size != int64(len(data)) || r.Info().ETag != md5hex(data) {
		t.Errorf("HEAD in ingest-only mode: %+v", r.Info())
	}
	_, err = r.ReadRange(0, 10)
	wantCode(t, err, "AccessDenied", 403)
	if !errors.Is(err, s3api.ErrNoDecryptionKey) || !strings.Contains(s3api.AsError(err).Message, "ingest-only") {
		t.Errorf("ingest-only read error %v does not explain itself", err)
	}
	r.Close()
	l, err := in.ListObjects(ctx, &s3api.ListObjectsInput{Bucket: "bkt"})
	if err != nil || len(l.Objects) != 1 || l.Objects[0].Size != int64(len(data)) {
		t.Errorf("ListObjects = %+v, %v", l, err)
	}
	if _, err := in.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", DstBucket: "bkt", DstKey: "k2"}); err != nil {
		t.Errorf("CopyObject in ingest-only mode: %v", err)
	}

	// The holder of the identity reads both.
	full := e.service(nil)
	for _, k := range []string{"k", "k2"} {
		if got := readAll(t, full, "bkt", k); !bytes.Equal(got, data) {
			t.Fatalf("%s reads back wrong", k)
		}
	}

	// An identity that matches no recipient is a 403 naming key IDs.
	stranger, err := envelope.GenerateIdentity("x25519")
	if err != nil {
		t.Fatal(err)
	}
	other := e.service(func(c *Config) { c.Identities = []envelope.Identity{stranger} })
	_, err = readRange(t, other, "bkt", "k", 0, 1)
	wantCode(t, err, "AccessDenied", 403)
	if msg := s3api.AsError(err).Message; !strings.Contains(msg, stranger.KeyID()) || !strings.Contains(msg, e.id.KeyID()) {
		t.Errorf("message %q names neither key", msg)
	}
}
