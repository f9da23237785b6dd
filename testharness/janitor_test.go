package testharness

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestAbandonedUploadsExpire: with --upload-max-age, an unfinished
// multipart upload (and its parts) is removed once older than that, while
// younger uploads and completed objects stay.
func TestAbandonedUploadsExpire(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, Args: []string{"--upload-max-age", "3s"}})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "kept", []byte("a finished object"))
	old, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("abandoned")})
	if err != nil {
		t.Fatal(err)
	}
	uploadPart(t, c, b, "abandoned", aws.ToString(old.UploadId), 1, Data(1, 1*mib), "")

	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: aws.String("abandoned"), UploadId: old.UploadId})
		if httpStatus(err) == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an upload abandoned for 30s with --upload-max-age 3s is still there (ListParts: %v)", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	young, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("young")})
	if err != nil {
		t.Fatal(err)
	}
	lu, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	if len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(young.UploadId) {
		t.Errorf("uploads listed after expiry: %d, want only the young one", len(lu.Uploads))
	}
	_, err = c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("abandoned"), UploadId: old.UploadId, PartNumber: aws.Int32(2), Body: strings.NewReader("late")})
	wantAPIError(t, err, "NoSuchUpload", http.StatusNotFound)
	if got := get(t, c, b, "kept"); string(got) != "a finished object" {
		t.Errorf("the janitor touched a finished object: %q", got)
	}
}
