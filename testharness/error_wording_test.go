package testharness

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// wantMessage checks that err is the S3 error code with exactly msg, the
// sentence S3 sends for it (SDK users and search engines match on it).
func wantMessage(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: want %s, got %v", what, code, err)
		return
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Errorf("%s: got %s %q, want %s %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// TestErrorWordingSDK: errors a client meets read as S3 words them, with
// what the gateway knows beyond that kept out of the message.
func TestErrorWordingSDK(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("0123456789"))
	k := "mp"

	_, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &k, UploadId: aws.String("bm9zdWNodXBsb2Fk"), PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
	wantMessage(t, "UploadPart, unknown upload", err, "NoSuchUpload",
		"The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")

	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), Range: aws.String("bytes=100-200")})
	wantMessage(t, "GetObject, range past the end", err, "InvalidRange", "The requested range is not satisfiable")

	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("no-such-bucket-wording"), Key: aws.String("k")})
	wantMessage(t, "GetObject, no bucket", err, "NoSuchBucket", "The specified bucket does not exist.")

	_, err = c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k"), ExpectedBucketOwner: aws.String("111122223333")})
	wantMessage(t, "DeleteObject, wrong expected owner", err, "AccessDenied", "Access Denied")

	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("md5"), Body: strings.NewReader("x"), ContentMD5: aws.String("not-an-md5")})
	wantMessage(t, "PutObject, Content-MD5 not base64 of 16 bytes", err, "InvalidDigest", "The Content-MD5 you specified was invalid.")

	big := map[string]string{"big": strings.Repeat("m", 2100)}
	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("meta"), Body: strings.NewReader("x"), Metadata: big})
	wantMessage(t, "PutObject, metadata too large", err, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size")

	_, err = c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &k, ChecksumType: types.ChecksumTypeFullObject})
	wantMessage(t, "CreateMultipartUpload, type without algorithm", err, "InvalidRequest",
		"The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")

	up, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &k})
	if err != nil {
		t.Fatal(err)
	}
	var etags []string
	for n := int32(1); n <= 2; n++ {
		out, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &k, UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader([]byte("small part"))})
		if err != nil {
			t.Fatal(err)
		}
		etags = append(etags, aws.ToString(out.ETag))
	}
	complete := func(parts ...types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &k, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	part := func(n int32, etag string) types.CompletedPart {
		return types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
	}
	wantMessage(t, "Complete, part never uploaded", complete(part(5, etags[0])), "InvalidPart",
		"One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	wantMessage(t, "Complete, wrong ETag", complete(part(1, `"0123456789abcdef0123456789abcdef"`)), "InvalidPart",
		"One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	wantMessage(t, "Complete, descending parts", complete(part(2, etags[1]), part(1, etags[0])), "InvalidPartOrder",
		"The list of parts was not in ascending order. Parts must be ordered by part number.")
	wantMessage(t, "Complete, small part", complete(part(1, etags[0]), part(2, etags[1])), "EntityTooSmall",
		"Your proposed upload is smaller than the minimum allowed size")
}

// TestErrorDetailElement: the detail the gateway adds travels in its own
// <Detail> element, after S3's unchanged sentence.
func TestErrorDetailElement(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	hdr := http.Header{"X-Amz-Meta-Big": {strings.Repeat("m", 2100)}}
	resp, body := rawDo(t, g, signed(t, g, "PUT", "/"+b+"/k", nil, []byte("x"), "", hdr))
	checkXMLError(t, resp, body, http.StatusBadRequest, "MetadataTooLarge")
	if !bytes.Contains(body, []byte("<Message>Your metadata headers exceed the maximum allowed metadata size</Message>")) ||
		!bytes.Contains(body, []byte("<Detail>")) || !bytes.Contains(body, []byte("2048")) {
		t.Errorf("MetadataTooLarge: %s, want S3's message and a <Detail> naming the 2048-byte limit", body)
	}
}

// TestListUploadsInvalidIDMarker: with a key marker, an upload-id-marker
// that is no upload ID is refused (400 InvalidArgument), as S3 does;
// without a key marker it is ignored.
func TestListUploadsInvalidIDMarker(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	if _, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("obj-2")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b, KeyMarker: aws.String("obj-2"), UploadIdMarker: aws.String("invalid_uploadId_marker")})
	wantAPIError(t, err, "InvalidArgument", 400)
	wantMessage(t, "ListMultipartUploads, bad upload-id-marker", err, "InvalidArgument", "Invalid uploadId marker")
	out, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b, UploadIdMarker: aws.String("invalid_uploadId_marker")})
	if err != nil || len(out.Uploads) != 1 {
		t.Fatalf("without a key marker: %v, %d uploads, want the one upload", err, len(out.Uploads))
	}
}

// TestCompleteMpObjectSize: CompleteMultipartUpload with an
// x-amz-mp-object-size the parts do not add up to is refused (400
// InvalidRequest) and keeps the upload; the right size completes.
func TestCompleteMpObjectSize(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b, k := newBucket(t, c), "mp"
	up, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &k})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &k, UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("12345"))})
	if err != nil {
		t.Fatal(err)
	}
	complete := func(size int64) error {
		_, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &k, UploadId: up.UploadId, MpuObjectSize: aws.Int64(size),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag}}}})
		return err
	}
	wantAPIError(t, complete(4), "InvalidRequest", 400)
	wantAPIError(t, complete(6), "InvalidRequest", 400)
	if err := complete(5); err != nil {
		t.Fatalf("Complete with the right x-amz-mp-object-size: %v", err)
	}
	if got := get(t, c, b, k); string(got) != "12345" {
		t.Fatalf("object %q", got)
	}
}

// TestNoLockConfigWording: S3 words the missing Object Lock configuration
// differently for a locked write and for the legal-hold/retention calls.
func TestNoLockConfigWording(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("x"))
	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("x"), ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	wantMessage(t, "PutObject with a legal hold", err, "InvalidRequest", "Bucket is missing ObjectLockConfiguration")
	_, err = c.GetObjectLegalHold(ctx(t), &s3.GetObjectLegalHoldInput{Bucket: &b, Key: aws.String("k")})
	wantMessage(t, "GetObjectLegalHold", err, "InvalidRequest", "Bucket is missing Object Lock Configuration")
}
