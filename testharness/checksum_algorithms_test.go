package testharness

import (
	"bytes"
	"crypto/md5"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/cespare/xxhash/v2"
	"github.com/zeebo/xxh3"
)

// newAlgorithms are the checksum algorithms S3 added after SHA-256, with
// their values for b (base64 of the big-endian digest).
func newAlgorithms(b []byte) map[types.ChecksumAlgorithm]string {
	enc := base64.StdEncoding.EncodeToString
	s512, m5 := sha512.Sum512(b), md5.Sum(b)
	x64 := binary.BigEndian.AppendUint64(nil, xxhash.Sum64(b))
	x3 := binary.BigEndian.AppendUint64(nil, xxh3.Hash(b))
	x128 := xxh3.Hash128(b).Bytes()
	return map[types.ChecksumAlgorithm]string{
		types.ChecksumAlgorithmSha512: enc(s512[:]), types.ChecksumAlgorithmMd5: enc(m5[:]),
		types.ChecksumAlgorithmXxhash64: enc(x64), types.ChecksumAlgorithmXxhash3: enc(x3), types.ChecksumAlgorithmXxhash128: enc(x128[:]),
	}
}

// putWithChecksum puts v in the PutObject field of algorithm a.
func putWithChecksum(in *s3.PutObjectInput, a types.ChecksumAlgorithm, v string) {
	switch a {
	case types.ChecksumAlgorithmSha512:
		in.ChecksumSHA512 = &v
	case types.ChecksumAlgorithmMd5:
		in.ChecksumMD5 = &v
	case types.ChecksumAlgorithmXxhash64:
		in.ChecksumXXHASH64 = &v
	case types.ChecksumAlgorithmXxhash3:
		in.ChecksumXXHASH3 = &v
	case types.ChecksumAlgorithmXxhash128:
		in.ChecksumXXHASH128 = &v
	}
}

func headNewChecksum(h *s3.HeadObjectOutput, a types.ChecksumAlgorithm) string {
	return aws.ToString(map[types.ChecksumAlgorithm]*string{
		types.ChecksumAlgorithmSha512: h.ChecksumSHA512, types.ChecksumAlgorithmMd5: h.ChecksumMD5,
		types.ChecksumAlgorithmXxhash64: h.ChecksumXXHASH64, types.ChecksumAlgorithmXxhash3: h.ChecksumXXHASH3,
		types.ChecksumAlgorithmXxhash128: h.ChecksumXXHASH128,
	}[a])
}

// TestChecksumAlgorithmsSHA512MD5XXHash: x-amz-checksum-sha512, -md5,
// -xxhash64, -xxhash3 and -xxhash128 are verified (a wrong value is
// BadDigest and stores nothing), stored and returned with checksum mode;
// SHA512 also as the SDK computes it; an unknown algorithm is refused.
func TestChecksumAlgorithmsSHA512MD5XXHash(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	body := Data(5, 100<<10+3)
	want, wrong := newAlgorithms(body), newAlgorithms([]byte("other bytes"))
	for a, v := range want {
		key := "sum-" + string(a)
		in := &s3.PutObjectInput{Bucket: &b, Key: aws.String(key + "-bad"), Body: bytes.NewReader(body)}
		putWithChecksum(in, a, wrong[a])
		_, err := c.PutObject(ctx(t), in)
		wantAPIError(t, err, "BadDigest", 400)
		_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: in.Key})
		wantAPIError(t, err, "", 404)

		in = &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(body)}
		putWithChecksum(in, a, v)
		if _, err := c.PutObject(ctx(t), in); err != nil {
			t.Fatalf("%s: PutObject with the right checksum: %v", a, err)
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if got := headNewChecksum(h, a); got != v || h.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("%s: HEAD returns %q (type %q), want %q FULL_OBJECT", a, got, h.ChecksumType, v)
		}
	}
	// The SDK computes SHA-512 itself (as a trailer of an aws-chunked body).
	out, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("sdk-sha512"), Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmSha512})
	if err != nil || aws.ToString(out.ChecksumSHA512) != want[types.ChecksumAlgorithmSha512] {
		t.Fatalf("SDK SHA512 PUT: %v, checksum %q", err, aws.ToString(out.ChecksumSHA512))
	}

	req := signed(t, g, "PUT", "/"+b+"/blake", nil, []byte("x"), "", http.Header{"X-Amz-Checksum-Blake3": {"AAAA"}})
	resp, rb := rawDo(t, g, req)
	if resp.StatusCode != 400 || !strings.Contains(string(rb), "<Code>InvalidRequest</Code>") {
		t.Fatalf("unknown checksum header: %d %s", resp.StatusCode, rb)
	}
}

// TestChecksumAlgorithmsComposite: a multipart upload with XXHASH128 gets
// the COMPOSITE object checksum; FULL_OBJECT is refused for the non-CRC
// algorithms; a part checksum in the Complete body that differs from the
// stored part's is InvalidPart.
func TestChecksumAlgorithmsComposite(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	_, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("x"),
		ChecksumAlgorithm: types.ChecksumAlgorithmXxhash3, ChecksumType: types.ChecksumTypeFullObject})
	wantAPIError(t, err, "InvalidRequest", 400)

	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), ChecksumAlgorithm: types.ChecksumAlgorithmXxhash128})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{Data(1, 5<<20), Data(2, 1234)}
	var done []types.CompletedPart
	var cat []byte
	for i, p := range parts {
		v := newAlgorithms(p)[types.ChecksumAlgorithmXxhash128]
		out, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumXXHASH128: &v})
		if err != nil || aws.ToString(out.ChecksumXXHASH128) != v {
			t.Fatalf("UploadPart %d: %v, checksum %q", i+1, err, aws.ToString(out.ChecksumXXHASH128))
		}
		d, _ := base64.StdEncoding.DecodeString(v)
		cat = append(cat, d...)
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumXXHASH128: &v})
	}
	bad := append([]types.CompletedPart(nil), done...)
	bad[1].ChecksumXXHASH128 = aws.String(newAlgorithms([]byte("no"))[types.ChecksumAlgorithmXxhash128])
	_, err = c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: bad}})
	wantAPIError(t, err, "InvalidPart", 400)

	co, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	sum := xxh3.Hash128(cat).Bytes()
	if want := base64.StdEncoding.EncodeToString(sum[:]) + "-2"; aws.ToString(co.ChecksumXXHASH128) != want || co.ChecksumType != types.ChecksumTypeComposite {
		t.Fatalf("Complete: checksum %q type %q, want %q COMPOSITE", aws.ToString(co.ChecksumXXHASH128), co.ChecksumType, want)
	}
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("mp"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(h.ChecksumXXHASH128) != aws.ToString(co.ChecksumXXHASH128) {
		t.Fatalf("HEAD: %v, checksum %q", err, aws.ToString(h.ChecksumXXHASH128))
	}
}
