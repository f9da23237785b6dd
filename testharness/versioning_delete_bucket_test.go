package testharness

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestDeleteVersionedBucketNotEmpty: DeleteBucket of a bucket that has
// had versioning and still holds a version (here only a noncurrent one
// under a delete marker) answers S3's BucketNotEmpty sentence for
// versioned buckets; a bucket never versioned keeps the plain one.
func TestDeleteVersionedBucketNotEmpty(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	plain := newBucket(t, c)
	put(t, c, plain, "k", []byte("x"))
	_, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &plain})
	wantMessage(t, "DeleteBucket of a plain bucket", err, "BucketNotEmpty", "The bucket you tried to delete is not empty.")

	b := plain + "-v"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	put(t, c, b, "k", []byte("x"))
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b})
	wantMessage(t, "DeleteBucket of a versioned bucket", err, "BucketNotEmpty",
		"The bucket you tried to delete is not empty. You must delete all versions in the bucket.")
}
