package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// nullSumBody is a body whose digests were "computed upstream": the
// benchmark measures the gateway, not MD5.
type nullSumBody struct{ io.Reader }

func (nullSumBody) Sums() s3api.Sums { return s3api.Sums{MD5: make([]byte, 16)} }

// BenchmarkPutObject measures the gateway's own cost per byte (encrypt,
// copy, write; no fsync, no hashing) for one 64 MiB object.
func BenchmarkPutObject(b *testing.B) {
	e := newEnv(b)
	s := e.service(nil)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		b.Fatal(err)
	}
	data := randBytes(64 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: fmt.Sprint("k", i%4), Body: nullSumBody{bytes.NewReader(data)}, Size: int64(len(data))})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetObject measures decrypting a whole 64 MiB object.
func BenchmarkGetObject(b *testing.B) {
	e := newEnv(b)
	s := e.service(nil)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		b.Fatal(err)
	}
	data := randBytes(64 << 20)
	if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: nullSumBody{bytes.NewReader(data)}, Size: int64(len(data))}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := s.GetObject(ctx, "bkt", "k")
		if err != nil {
			b.Fatal(err)
		}
		rc, err := r.ReadRange(0, r.Info().Size)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
		rc.Close()
		r.Close()
	}
}

// BenchmarkListInfo measures what the gateway adds per listed key: the
// signed record parsed, its metadata key unwrapped and its attributes
// opened for the ETag and checksums.
func BenchmarkListInfo(b *testing.B) {
	e := newEnv(b)
	s := e.service(nil)
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "bkt"); err != nil {
		b.Fatal(err)
	}
	data := []byte("x")
	if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "backups/2026-12-01/db1/chunk.0000001", Body: nullSumBody{bytes.NewReader(data)}, Size: 1}); err != nil {
		b.Fatal(err)
	}
	page, err := s.be.List(ctx, "bkt", backend.ListOptions{})
	if err != nil || len(page.Objects) != 1 {
		b.Fatal(err)
	}
	bi := page.Objects[0]
	b.ReportAllocs()
	for b.Loop() {
		if info := s.listInfo("bkt", bi); info.ETag == "" {
			b.Fatal("no ETag")
		}
	}
}
