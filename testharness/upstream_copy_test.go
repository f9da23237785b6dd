package testharness

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"envelopegw/backend/s3/s3test"
)

// TestUpstreamCopyObject: CopyObject through a gateway on MinIO (the
// upstream copies the data server-side, backend/s3/copy.go) gives an
// object that reads back after its source is deleted.
func TestUpstreamCopyObject(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{Upstream: s3test.SharedMinIO(t)})
	c := S3Client(t, g, S3Options{})
	b1, b2 := newBucket(t, c), newBucket(t, c)
	body := Data(21, 6*mib+17)
	put(t, c, b1, "src", body)
	out, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b2, Key: aws.String("dst"), CopySource: aws.String(copySource(b1, "src"))})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CopyObjectResult.ETag) != quoted(md5hex(body)) {
		t.Fatalf("ETag %s", aws.ToString(out.CopyObjectResult.ETag))
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b1, Key: aws.String("src")}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, b2, "dst"); !bytes.Equal(got, body) {
		t.Fatal("the copy differs from its deleted source")
	}
}
