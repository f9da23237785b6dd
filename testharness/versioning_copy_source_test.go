package testharness

import (
	"bytes"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TestCopySourceInvalidVersionWording: a malformed versionId in
// x-amz-copy-source (CopyObject and UploadPartCopy) is 400
// InvalidArgument with S3's own sentence, "Invalid version id specified",
// which SDK users search for; what was wrong travels separately.
func TestCopySourceInvalidVersionWording(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("src"), Body: bytes.NewReader([]byte("source"))}); err != nil {
		t.Fatal(err)
	}
	src := aws.String(b + "/src?versionId=invalid_versionId")
	wantWording := func(op string, err error) {
		t.Helper()
		wantAPIError(t, err, "InvalidArgument", http.StatusBadRequest)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorMessage() != "Invalid version id specified" {
			t.Errorf("%s: message %q, want S3's %q", op, ae.ErrorMessage(), "Invalid version id specified")
		}
	}
	_, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst"), CopySource: src})
	wantWording("CopyObject", err)
	mp, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("dst"), UploadId: mp.UploadId, PartNumber: aws.Int32(1), CopySource: src})
	wantWording("UploadPartCopy", err)
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("dst")}); httpStatus(err) != http.StatusNotFound {
		t.Errorf("refused copy left an object behind: %v", err)
	}
}
