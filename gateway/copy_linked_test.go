package gateway

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
)

// countingBackend counts the stored bytes read and written through it;
// unsupported makes Copy fail as a store that cannot share bytes would.
type countingBackend struct {
	backend.Backend
	read, written atomic.Int64
	unsupported   bool
}

type countingWriter struct {
	backend.Writer
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	w.n.Add(int64(n))
	return n, err
}

type countingObject struct {
	backend.Object
	n *atomic.Int64
}

func (o countingObject) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.Object.ReadAt(p, off)
	o.n.Add(int64(n))
	return n, err
}

func (c *countingBackend) NewObject(ctx context.Context, bucket, key string, cond ...backend.Cond) (backend.Writer, error) {
	w, err := c.Backend.NewObject(ctx, bucket, key, cond...)
	if err != nil {
		return nil, err
	}
	return countingWriter{w, &c.written}, nil
}

func (c *countingBackend) Open(ctx context.Context, bucket, key string) (backend.Object, error) {
	o, err := c.Backend.Open(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	return countingObject{o, &c.read}, nil
}

func (c *countingBackend) Copy(ctx context.Context, src backend.CopySource, bucket, key string, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	if c.unsupported {
		return backend.ObjectInfo{}, backend.ErrCopyUnsupported
	}
	return c.Backend.Copy(ctx, src, bucket, key, meta, cond...)
}

// TestCopyLinkedOnIngestHost: an ingest-only gateway (recipients and the
// signing key, no identity) copies an object without reading or writing
// one stored byte; the copy verifies under its new name, survives the
// source's deletion, and is refused if its record is swapped.
func TestCopyLinkedOnIngestHost(t *testing.T) {
	e := newEnv(t)
	full := e.service(nil)
	ctx := context.Background()
	mustBucket(t, full, "bkt")
	mustBucket(t, full, "ckt")
	data := randBytes(3 << 20)
	put(t, full, "bkt", "src", data)

	var cb *countingBackend
	ing := e.service(func(c *Config) {
		cb = &countingBackend{Backend: c.Backend}
		c.Backend = cb
		c.Recipients = []envelope.Recipient{e.id.Recipient()}
		c.Identities = nil
	})
	out, err := ing.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "ckt", DstKey: "dst",
		ReplaceMeta: true, Meta: s3api.ObjectMeta{ContentType: "text/copied", User: map[string]string{"u": "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, w := cb.read.Load(), cb.written.Load(); r != 0 || w != 0 {
		t.Fatalf("copy read %d and wrote %d stored bytes", r, w)
	}
	if out.ETag != md5hex(data) || out.LastModified.IsZero() {
		t.Fatalf("CopyObject = %+v", out)
	}
	r, err := full.GetObject(ctx, "ckt", "dst")
	if err != nil {
		t.Fatal(err)
	}
	if i := r.Info(); i.Meta.ContentType != "text/copied" || i.Meta.User["u"] != "v" || i.ETag != md5hex(data) {
		t.Fatalf("copy Info = %+v", i)
	}
	r.Close()
	if !bytes.Equal(readAll(t, full, "ckt", "dst"), data) {
		t.Fatal("copy reads back wrong")
	}

	// The copy's record is its own: the source's record in its place (or
	// the copy's under the source) is refused.
	srcMeta, dstMeta := statMeta(t, full, "bkt", "src").Meta, statMeta(t, full, "ckt", "dst").Meta
	if _, err := full.be.SetMeta(ctx, "ckt", "dst", srcMeta, time.Time{}); err != nil {
		t.Fatal(err)
	}
	refused(t, full, "ckt", "dst", "copy carrying the source's record")
	if _, err := full.be.SetMeta(ctx, "bkt", "src", dstMeta, time.Time{}); err != nil {
		t.Fatal(err)
	}
	refused(t, full, "bkt", "src", "source carrying the copy's record")
	full.be.SetMeta(ctx, "ckt", "dst", dstMeta, time.Time{})

	// Independent of the source.
	if err := full.be.Delete(ctx, "bkt", "src"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, full, "ckt", "dst"), data) {
		t.Fatal("deleting the source harmed the copy")
	}
}

// TestCopyFallsBackToStreaming: a store that cannot share the bytes gets
// the ciphertext streamed through a writer, still without a key.
func TestCopyFallsBackToStreaming(t *testing.T) {
	e := newEnv(t)
	full := e.service(nil)
	ctx := context.Background()
	mustBucket(t, full, "bkt")
	data := randBytes(200000)
	put(t, full, "bkt", "src", data)
	var cb *countingBackend
	ing := e.service(func(c *Config) {
		cb = &countingBackend{Backend: c.Backend, unsupported: true}
		c.Backend = cb
		c.Recipients = []envelope.Recipient{e.id.Recipient()}
		c.Identities = nil
	})
	if _, err := ing.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "dst"}); err != nil {
		t.Fatal(err)
	}
	if w := cb.written.Load(); w < int64(len(data)) {
		t.Fatalf("fallback wrote %d bytes for %d of plaintext", w, len(data))
	}
	if !bytes.Equal(readAll(t, full, "bkt", "dst"), data) {
		t.Fatal("copy reads back wrong")
	}
}
