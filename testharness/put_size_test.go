package testharness

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestPutObjectSize: PutObject answers the object's size, which
// aws-sdk-go-v2 reads into Size, in every body form the SDK sends
// (payload hash, unsigned, aws-chunked with trailers), for empty and
// non-empty bodies.
func TestPutObjectSize(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		b := newBucket(t, e.c)
		for _, n := range []int{0, 5, 70000} {
			out, err := e.c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader(Data(uint64(n), n))})
			if err != nil {
				t.Fatalf("PutObject of %d bytes: %v", n, err)
			}
			if out.Size == nil || *out.Size != int64(n) {
				t.Errorf("PutObject of %d bytes: Size %v", n, out.Size)
			}
		}
	})
}
