package testharness

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKCopyErrors: CopyObject and UploadPartCopy refuse bad requests
// with S3's codes and sentences: a range beyond the source is
// InvalidArgument naming the source's size, an unknown tagging directive
// or checksum algorithm is refused before the copy-onto-itself check, a
// malformed x-amz-copy-source says which part is wrong, oversized
// x-amz-meta-* headers are MetadataTooLarge even under the COPY directive,
// and a missing destination bucket is named before a malformed source.
func TestSDKCopyErrors(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := newBucket(t, c)
	put(t, c, b, "src", []byte("0123456789"))
	wantMsg := func(err error, code, msg string) {
		t.Helper()
		wantAPIError(t, err, code, 400)
		if got := errMessage(err); got != msg {
			t.Errorf("%s message %q, want %q", code, got, msg)
		}
	}

	mp, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	for _, rng := range []string{"bytes=0-10", "bytes=5-100", "bytes=10-10"} {
		_, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: mp.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String(rng)})
		wantMsg(err, "InvalidArgument", "Range specified is not valid for source object of size: 10")
	}
	if _, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String("bytes=0-9")}); err != nil {
		t.Errorf("UploadPartCopy of the whole source by range: %v", err)
	}

	// Onto itself with only a bad header: the header is what S3 names.
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("src"), CopySource: aws.String(b + "/src"),
		TaggingDirective: types.TaggingDirective("invalid")})
	wantMsg(err, "InvalidArgument", "Unknown tagging directive.")
	const algs = "Checksum algorithm provided is unsupported. Please try again with any of the valid types: " +
		"[CRC32, CRC32C, CRC64NVME, MD5, SHA1, SHA256, SHA512, XXHASH128, XXHASH3, XXHASH64]"
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("src"), CopySource: aws.String(b + "/src"),
		ChecksumAlgorithm: types.ChecksumAlgorithm("invalid")})
	wantMsg(err, "InvalidRequest", algs)
	_, err = c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("x"),
		ChecksumAlgorithm: types.ChecksumAlgorithm("invalid")})
	wantMsg(err, "InvalidRequest", algs)

	for src, msg := range map[string]string{
		"bucket/%ZZ":       "Invalid copy source encoding",
		"bucket/%1":        "Invalid copy source encoding",
		"bucket":           "Invalid copy source object key",
		"bucket/":          "Invalid copy source object key",
		"192.168.1.1/foo":  "Invalid copy source bucket name",
		"my-buc@k&()t/obj": "Invalid copy source bucket name",
	} {
		_, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst"), CopySource: aws.String(src)})
		wantMsg(err, "InvalidArgument", msg)
		_, err = c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: mp.UploadId,
			PartNumber: aws.Int32(2), CopySource: aws.String(src)})
		wantMsg(err, "InvalidArgument", msg)
	}

	// Oversized metadata headers are refused whatever the directive.
	big := map[string]string{"big": strings.Repeat("m", 2100)}
	for _, d := range []types.MetadataDirective{"", types.MetadataDirectiveReplace} {
		_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("big-meta"), CopySource: aws.String(b + "/src"),
			Metadata: big, MetadataDirective: d})
		wantAPIError(t, err, "MetadataTooLarge", 400)
	}
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("big-meta")}); httpStatus(err) != 404 {
		t.Errorf("a refused copy left an object: %v", err)
	}

	// A missing destination bucket comes first.
	missing := "missing-" + strings.ToLower(randHex(4))
	_, err = c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &missing, Key: aws.String("k"), UploadId: aws.String("uploadId"),
		PartNumber: aws.Int32(1), CopySource: aws.String("Copy-Source")})
	wantAPIError(t, err, "NoSuchBucket", 404)
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &missing, Key: aws.String("k"), CopySource: aws.String("Copy-Source")})
	wantAPIError(t, err, "NoSuchBucket", 404)
}
