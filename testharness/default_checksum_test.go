package testharness

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/crc64nvme"
)

func crc64nvmeB64(b []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, crc64nvme.Checksum(b)))
}

// TestDefaultCRC64NVME: objects uploaded without any checksum (a PUT and a
// multipart upload, by a client that computes none) get the CRC64NVME
// FULL_OBJECT checksum S3 adds by default: on PUT and Complete answers, on
// HEAD and GET with checksum mode ENABLED (where a current SDK, with
// validation on, checks the body against it), and in ListObjectsV2's
// ChecksumAlgorithm and ChecksumType. A client's own algorithm is
// listed as it chose it.
func TestDefaultCRC64NVME(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	plain := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	current := S3Client(t, g, S3Options{})
	b := newBucket(t, plain)
	body := Data(9, 200<<10+1)
	po, err := plain.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("single"), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(po.ChecksumCRC64NVME) != crc64nvmeB64(body) || po.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("PUT answer: CRC64NVME %q type %q, want %q FULL_OBJECT", aws.ToString(po.ChecksumCRC64NVME), po.ChecksumType, crc64nvmeB64(body))
	}

	cr, err := plain.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("multi")})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{Data(10, 5<<20), Data(11, 777)}
	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, uploadPart(t, plain, b, "multi", aws.ToString(cr.UploadId), int32(i+1), p, ""))
	}
	co, err := plain.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("multi"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	whole := slices.Concat(parts...)
	if aws.ToString(co.ChecksumCRC64NVME) != crc64nvmeB64(whole) || co.ChecksumType != types.ChecksumTypeFullObject {
		t.Fatalf("Complete answer: CRC64NVME %q type %q, want %q FULL_OBJECT", aws.ToString(co.ChecksumCRC64NVME), co.ChecksumType, crc64nvmeB64(whole))
	}
	put(t, current, b, "sdk-crc32", []byte("the SDK sends CRC32")) // a client's own choice

	for key, data := range map[string][]byte{"single": body, "multi": whole} {
		h, err := current.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(h.ChecksumCRC64NVME) != crc64nvmeB64(data) || h.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("%s: HEAD CRC64NVME %q type %q", key, aws.ToString(h.ChecksumCRC64NVME), h.ChecksumType)
		}
		out, err := current.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || !bytes.Equal(got, data) || aws.ToString(out.ChecksumCRC64NVME) != crc64nvmeB64(data) {
			t.Errorf("%s: GET with checksum mode (validated by the SDK): %v, CRC64NVME %q", key, err, aws.ToString(out.ChecksumCRC64NVME))
		}
	}
	lo, err := current.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.ChecksumAlgorithm{"multi": types.ChecksumAlgorithmCrc64nvme, "sdk-crc32": types.ChecksumAlgorithmCrc32, "single": types.ChecksumAlgorithmCrc64nvme}
	for _, o := range lo.Contents {
		k := aws.ToString(o.Key)
		if !slices.Equal(o.ChecksumAlgorithm, []types.ChecksumAlgorithm{want[k]}) || o.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("listing of %s: ChecksumAlgorithm %v ChecksumType %q, want [%s] FULL_OBJECT", k, o.ChecksumAlgorithm, o.ChecksumType, want[k])
		}
	}
	if len(lo.Contents) != 3 {
		t.Fatalf("listing has %d objects", len(lo.Contents))
	}
}

// TestCopyObjectChecksumAlgorithm: CopyObject with ChecksumAlgorithm SHA256
// answers and stores the SHA-256 of the object's bytes (the source had
// only its default CRC64NVME); UploadPartCopy gives the part the upload's
// checksum; If-None-Match on CopyObject refuses to overwrite.
func TestCopyObjectChecksumAlgorithm(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	plain := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	b := newBucket(t, c)
	body := Data(21, 1<<20+3)
	if _, err := plain.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("src"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	want := checksumsOf(body)[types.ChecksumAlgorithmSha256]
	co, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst"), CopySource: aws.String(b + "/src"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(co.CopyObjectResult.ChecksumSHA256); got != want {
		t.Fatalf("CopyObject SHA256 %q, want %q", got, want)
	}
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("dst"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(h.ChecksumSHA256) != want || h.ChecksumCRC64NVME != nil {
		t.Fatalf("HEAD of the copy: %v, SHA256 %q CRC64NVME %v", err, aws.ToString(h.ChecksumSHA256), h.ChecksumCRC64NVME)
	}
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst"), CopySource: aws.String(b + "/src"), IfNoneMatch: aws.String("*")})
	wantAPIError(t, err, "PreconditionFailed", 412)

	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
		CopySource: aws.String(b + "/src"), CopySourceRange: aws.String("bytes=0-999")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(pc.CopyPartResult.ChecksumCRC32C), checksumsOf(body[:1000])[types.ChecksumAlgorithmCrc32c]; got != want {
		t.Fatalf("UploadPartCopy CRC32C %q, want %q", got, want)
	}
}
