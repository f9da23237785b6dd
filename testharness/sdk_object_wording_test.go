package testharness

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKObjectRefusalSentences: refusals of object and listing requests
// carry S3's own sentence as the message, whatever the gateway knows
// beyond it going to <Detail>: Range with partNumber, a malformed
// x-amz-copy-source-range, an If-None-Match other than "*" on a write
// (501 NotImplemented, S3's generic sentence), a max-buckets, max-keys
// or max-uploads out of range or no integer, and an unknown encoding-type.
func TestSDKObjectRefusalSentences(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := newBucket(t, c)
	put(t, c, b, "src", []byte("0123456789"))
	want := func(err error, code string, status int, msg string) {
		t.Helper()
		wantAPIError(t, err, code, status)
		if got := errMessage(err); got != msg {
			t.Errorf("%s message %q, want %q", code, got, msg)
		}
	}

	_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("src"), Range: aws.String("bytes=0-1"), PartNumber: aws.Int32(1)})
	want(err, "InvalidRequest", http.StatusBadRequest, "Cannot specify both Range header and partNumber query parameter")

	mp, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	_, err = c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(1),
		CopySource: aws.String(b + "/src"), CopySourceRange: aws.String("bytes=5-2")})
	want(err, "InvalidArgument", http.StatusBadRequest, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")

	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("cond"), Body: strings.NewReader("x"), IfNoneMatch: aws.String(`"0123"`)})
	want(err, "NotImplemented", http.StatusNotImplemented, "A header you provided implies functionality that is not implemented.")

	_, err = c.ListBuckets(ctx(t), &s3.ListBucketsInput{MaxBuckets: aws.Int32(-3)})
	want(err, "InvalidArgument", http.StatusBadRequest, "Argument max-buckets must be an integer between 1 and 10000.")

	_, err = c.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: &b, MaxKeys: aws.Int32(-5)})
	want(err, "InvalidArgument", http.StatusBadRequest, "Argument maxKeys must be an integer between 0 and 2147483647")
	_, err = c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b, MaxKeys: aws.Int32(-5)})
	want(err, "InvalidArgument", http.StatusBadRequest, "Argument maxKeys must be an integer between 0 and 2147483647")
	_, err = c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b, MaxUploads: aws.Int32(-1)})
	want(err, "InvalidArgument", http.StatusBadRequest, "Argument max-uploads must be an integer between 0 and 2147483647")
	_, err = c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b, EncodingType: types.EncodingType("base64")})
	want(err, "InvalidArgument", http.StatusBadRequest, "Invalid Encoding Method specified in Request")
	// Not an integer at all: S3's other sentence (no SDK sends this).
	resp, body := rawDo(t, g, signed(t, g, http.MethodGet, "/"+b, url.Values{"max-keys": {"ten"}}, nil, "", nil))
	checkXMLError(t, resp, body, http.StatusBadRequest, "InvalidArgument")
	if !strings.Contains(string(body), "<Message>Provided max-keys not an integer or within integer range</Message>") {
		t.Errorf("max-keys=ten: %s", body)
	}
}
