package testharness

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMultipartChecksumRules checks, with aws-sdk-go-v2, S3's rules for
// the checksums of a multipart upload created with an algorithm and the
// sentences it answers with: a part that declares another algorithm, or a
// COMPOSITE upload's part that declares none, is refused before it is
// stored (also when the part is empty); a FULL_OBJECT upload computes a
// missing CRC; at Complete a part checksum must be well-formed and alone,
// one of an algorithm the part was not uploaded with is BadDigest, a
// COMPOSITE upload needs every part's checksum, and the checksum mode,
// part numbers and x-amz-mp-object-size are checked with S3's words.
func TestMultipartChecksumRules(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	bare := S3Client(t, g, S3Options{ChecksumWhenRequired: true}) // sends no checksum unasked
	b := newBucket(t, c)
	create := func(key string, alg types.ChecksumAlgorithm, typ types.ChecksumType) string {
		t.Helper()
		out, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, ChecksumAlgorithm: alg, ChecksumType: typ})
		if err != nil {
			t.Fatal(err)
		}
		return *out.UploadId
	}
	part := func(cl *s3.Client, key, id string, in s3.UploadPartInput) (*s3.UploadPartOutput, error) {
		in.Bucket, in.Key, in.UploadId, in.PartNumber = &b, &key, &id, aws.Int32(1)
		return cl.UploadPart(ctx(t), &in)
	}
	mismatch := func(want, got string) string {
		return "Checksum Type mismatch occurred, expected checksum Type: " + want + ", actual checksum Type: " + got
	}

	// UploadPart against the upload's algorithm.
	id := create("composite", types.ChecksumAlgorithmCrc32, types.ChecksumTypeComposite)
	_, err := part(c, "composite", id, s3.UploadPartInput{Body: strings.NewReader("abc"), ChecksumAlgorithm: types.ChecksumAlgorithmSha1})
	wantMessage(t, "part with another algorithm", err, "InvalidRequest", mismatch("CRC32", "SHA1"))
	_, err = part(c, "composite", id, s3.UploadPartInput{ChecksumSHA256: aws.String("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")})
	wantMessage(t, "empty part with another algorithm's value", err, "InvalidRequest", mismatch("CRC32", "SHA256"))
	_, err = part(bare, "composite", id, s3.UploadPartInput{Body: strings.NewReader("abc")})
	wantMessage(t, "COMPOSITE part without checksum", err, "InvalidRequest", mismatch("CRC32", "null"))
	_, err = part(c, "composite", id, s3.UploadPartInput{ChecksumCRC32: aws.String("AAAAAQ==")}) // CRC32 of nothing is AAAAAA==
	wantMessage(t, "empty part with a wrong CRC32", err, "BadDigest", "The CRC32 you specified did not match the calculated checksum.")
	full := create("full", types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject)
	if _, err := part(bare, "full", full, s3.UploadPartInput{Body: strings.NewReader("abc")}); err != nil {
		t.Errorf("FULL_OBJECT part without checksum: %v", err)
	}

	// CompleteMultipartUpload.
	sha := create("sha1", types.ChecksumAlgorithmSha1, types.ChecksumTypeComposite)
	p, err := part(c, "sha1", sha, s3.UploadPartInput{Body: strings.NewReader("abc"), ChecksumAlgorithm: types.ChecksumAlgorithmSha1})
	if err != nil {
		t.Fatal(err)
	}
	complete := func(key, id string, cp types.CompletedPart, in s3.CompleteMultipartUploadInput) error {
		in.Bucket, in.Key, in.UploadId = &b, &key, &id
		in.MultipartUpload = &types.CompletedMultipartUpload{Parts: []types.CompletedPart{cp}}
		_, err := c.CompleteMultipartUpload(ctx(t), &in)
		return err
	}
	one := types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(1)}
	err = complete("sha1", sha, one, s3.CompleteMultipartUploadInput{})
	wantMessage(t, "COMPOSITE complete without part checksum", err, "InvalidRequest",
		"The upload was created using a sha1 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.")
	bad := one
	bad.ChecksumSHA1 = aws.String("not base64!")
	err = complete("sha1", sha, bad, s3.CompleteMultipartUploadInput{})
	wantMessage(t, "part checksum not base64", err, "InvalidArgument", "Invalid Base64 or multiple checksums present in request")
	two := one
	two.ChecksumSHA1, two.ChecksumCRC32 = p.ChecksumSHA1, aws.String("AAAAAA==")
	err = complete("sha1", sha, two, s3.CompleteMultipartUploadInput{})
	wantMessage(t, "two part checksums", err, "InvalidArgument", "Invalid Base64 or multiple checksums present in request")
	other := one
	other.ChecksumSHA256 = aws.String("n2alat9FhKiZXkZO18V2LLcZFM3IT8R7DjSMvK//7WU=")
	err = complete("sha1", sha, other, s3.CompleteMultipartUploadInput{})
	wantMessage(t, "part checksum of another algorithm", err, "BadDigest", "The sha256 you specified for part 1 did not match what we received.")
	negative := one
	negative.PartNumber = aws.Int32(-4)
	err = complete("sha1", sha, negative, s3.CompleteMultipartUploadInput{})
	wantMessage(t, "negative part number", err, "InvalidArgument", "PartNumber must be >= 1")
	good := one
	good.ChecksumSHA1 = p.ChecksumSHA1
	err = complete("sha1", sha, good, s3.CompleteMultipartUploadInput{ChecksumType: types.ChecksumTypeFullObject})
	wantMessage(t, "other checksum mode", err, "InvalidRequest",
		"The upload was created using the COMPOSITE checksum mode. The complete request must use the same checksum mode.")
	err = complete("sha1", sha, good, s3.CompleteMultipartUploadInput{MpuObjectSize: aws.Int64(-1)})
	wantMessage(t, "negative x-amz-mp-object-size", err, "InvalidRequest", "Value for x-amz-mp-object-size header is less than zero: '-1'")
	err = complete("sha1", sha, good, s3.CompleteMultipartUploadInput{IfMatch: aws.String("*"), IfNoneMatch: aws.String("*")})
	wantMessage(t, "If-Match with If-None-Match", err, "NotImplemented", "A header you provided implies functionality that is not implemented.")
	if err := complete("sha1", sha, good, s3.CompleteMultipartUploadInput{MpuObjectSize: aws.Int64(3)}); err != nil {
		t.Errorf("well-formed complete: %v", err)
	}

	// CreateMultipartUpload names the algorithm as S3 does.
	key := "nvme"
	_, err = c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumType: types.ChecksumTypeComposite})
	wantMessage(t, "COMPOSITE CRC64NVME", err, "InvalidRequest", "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
	// ... and takes the type and algorithm in any case.
	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key,
		ChecksumAlgorithm: types.ChecksumAlgorithm("cRc32C"), ChecksumType: types.ChecksumType("fUlL_oBjEcT")})
	if err != nil || cr.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("CreateMultipartUpload with a mixed-case type: %v, %+v", err, cr)
	}
}
