package gateway

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"envelopegw/s3api"
)

// BenchmarkPutSmallObject measures the per-object cost of a small PUT
// (no fsync, no hashing): what remains when the bytes are few is the
// envelope, the metadata and the commit.
func BenchmarkPutSmallObject(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := newEnv(b)
			s := e.service(nil)
			ctx := context.Background()
			if err := s.CreateBucket(ctx, "bkt"); err != nil {
				b.Fatal(err)
			}
			data := randBytes(size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: fmt.Sprint("k", i%64), Body: nullSumBody{bytes.NewReader(data)}, Size: int64(size)})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPutSmallRequest is BenchmarkPutSmallObject as the gateway
// serves it over HTTP: each PUT in its own request scope, after the
// policy check that authorization makes (the configuration memo,
// config_memo.go).
func BenchmarkPutSmallRequest(b *testing.B) {
	e := newEnv(b)
	s := e.service(nil)
	if err := s.CreateBucket(context.Background(), "bkt"); err != nil {
		b.Fatal(err)
	}
	const size = 1 << 10
	data := randBytes(size)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ctx := s3api.WithRequestScope(context.Background())
		if _, err := s.BucketPolicy(ctx, "bkt"); err != nil {
			b.Fatal(err)
		}
		_, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: fmt.Sprint("k", i), Body: nullSumBody{bytes.NewReader(data)}, Size: size})
		if err != nil {
			b.Fatal(err)
		}
	}
}
