package testharness

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var allObjectAttributes = []types.ObjectAttributes{
	types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
	types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize,
}

func getAttributes(t *testing.T, c *s3.Client, in *s3.GetObjectAttributesInput) *s3.GetObjectAttributesOutput {
	t.Helper()
	if in.ObjectAttributes == nil {
		in.ObjectAttributes = allObjectAttributes
	}
	out, err := c.GetObjectAttributes(ctx(t), in)
	if err != nil {
		t.Fatalf("GetObjectAttributes %s: %v", aws.ToString(in.Key), err)
	}
	return out
}

func sha256B64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// TestSDKGetObjectAttributes covers GetObjectAttributes as current SDKs
// call it: every attribute of a single-part object, the part list of a
// multipart object with per-part checksums (paged), a named version, a
// subset of attributes, and S3's refusals.
func TestSDKGetObjectAttributes(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := newBucket(t, c)

	body := []byte("attributes of a small object")
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("one"), Body: bytes.NewReader(body),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("one")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	out := getAttributes(t, c, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("one")})
	sum := md5.Sum(body)
	if got := aws.ToString(out.ETag); got != hex.EncodeToString(sum[:]) {
		t.Errorf("ETag %q, want the unquoted MD5 %x", got, sum)
	}
	if aws.ToInt64(out.ObjectSize) != int64(len(body)) || out.StorageClass != types.StorageClassStandard {
		t.Errorf("ObjectSize %d StorageClass %q", aws.ToInt64(out.ObjectSize), out.StorageClass)
	}
	if out.Checksum == nil || aws.ToString(out.Checksum.ChecksumSHA256) != sha256B64(body) || out.Checksum.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("Checksum %+v, want SHA256 %s FULL_OBJECT", out.Checksum, sha256B64(body))
	}
	if out.ObjectParts != nil {
		t.Errorf("ObjectParts %+v on a single-part object (S3 answers none)", out.ObjectParts)
	}
	if !aws.ToTime(out.LastModified).Equal(aws.ToTime(head.LastModified)) {
		t.Errorf("LastModified %v, HEAD says %v", out.LastModified, head.LastModified)
	}

	// Only what was asked for.
	out = getAttributes(t, c, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("one"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	if out.ETag != nil || out.Checksum != nil || out.StorageClass != "" || aws.ToInt64(out.ObjectSize) != int64(len(body)) {
		t.Errorf("ObjectSize only: got ETag %v Checksum %v StorageClass %q Size %v", out.ETag, out.Checksum, out.StorageClass, out.ObjectSize)
	}

	// Multipart with per-part SHA-256 checksums: 3 parts, listed 2 at a time.
	key := "multi"
	mp, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	sizes := []int{5 << 20, 5<<20 + 7, 1234}
	var done []types.CompletedPart
	for i, n := range sizes {
		part := bytes.Repeat([]byte{byte('a' + i)}, n)
		up, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: mp.UploadId, PartNumber: aws.Int32(int32(i + 1)),
			Body: bytes.NewReader(part), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		if aws.ToString(up.ChecksumSHA256) != sha256B64(part) {
			t.Fatalf("UploadPart %d checksum %s", i+1, aws.ToString(up.ChecksumSHA256))
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag, ChecksumSHA256: up.ChecksumSHA256})
	}
	cmp, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	out = getAttributes(t, c, &s3.GetObjectAttributesInput{Bucket: &b, Key: &key, MaxParts: aws.Int32(2)})
	if aws.ToString(out.ETag) != strings.Trim(aws.ToString(cmp.ETag), `"`) || !strings.HasSuffix(aws.ToString(out.ETag), "-3") {
		t.Errorf("ETag %q, Complete said %q", aws.ToString(out.ETag), aws.ToString(cmp.ETag))
	}
	if aws.ToInt64(out.ObjectSize) != int64(sizes[0]+sizes[1]+sizes[2]) {
		t.Errorf("ObjectSize %d", aws.ToInt64(out.ObjectSize))
	}
	if out.Checksum == nil || aws.ToString(out.Checksum.ChecksumSHA256) != aws.ToString(cmp.ChecksumSHA256) || out.Checksum.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("Checksum %+v, Complete said %s", out.Checksum, aws.ToString(cmp.ChecksumSHA256))
	}
	pageParts := func(op *types.GetObjectAttributesParts) string {
		var s []string
		for _, p := range op.Parts {
			s = append(s, fmt.Sprintf("%d:%d:%s", aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size), aws.ToString(p.ChecksumSHA256)))
		}
		return strings.Join(s, " ")
	}
	want := func(from, to int) string {
		var s []string
		for i := from; i < to; i++ {
			s = append(s, fmt.Sprintf("%d:%d:%s", i+1, sizes[i], aws.ToString(done[i].ChecksumSHA256)))
		}
		return strings.Join(s, " ")
	}
	op := out.ObjectParts
	if op == nil {
		t.Fatalf("no ObjectParts for a multipart object")
	}
	if aws.ToInt32(op.TotalPartsCount) != 3 || !aws.ToBool(op.IsTruncated) || aws.ToInt32(op.MaxParts) != 2 ||
		aws.ToString(op.NextPartNumberMarker) != "2" || pageParts(op) != want(0, 2) {
		t.Errorf("first page: count %d truncated %v max %d next %q parts %q, want %q", aws.ToInt32(op.TotalPartsCount),
			aws.ToBool(op.IsTruncated), aws.ToInt32(op.MaxParts), aws.ToString(op.NextPartNumberMarker), pageParts(op), want(0, 2))
	}
	out = getAttributes(t, c, &s3.GetObjectAttributesInput{Bucket: &b, Key: &key, MaxParts: aws.Int32(2),
		PartNumberMarker: op.NextPartNumberMarker, ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts}})
	if op = out.ObjectParts; op == nil || aws.ToBool(op.IsTruncated) || aws.ToString(op.PartNumberMarker) != "2" || pageParts(op) != want(2, 3) {
		t.Errorf("second page: %+v parts %q, want %q", op, pageParts(op), want(2, 3))
	}

	// A named version of a versioned object, and a delete marker.
	vb := newBucket(t, c)
	enableVersioning(t, c, vb, types.BucketVersioningStatusEnabled)
	v1 := put(t, c, vb, "doc", []byte("first"))
	put(t, c, vb, "doc", []byte("second, longer"))
	out = getAttributes(t, c, &s3.GetObjectAttributesInput{Bucket: &vb, Key: aws.String("doc"), VersionId: v1.VersionId})
	if aws.ToString(out.VersionId) != aws.ToString(v1.VersionId) || aws.ToInt64(out.ObjectSize) != 5 || aws.ToString(out.ETag) != strings.Trim(aws.ToString(v1.ETag), `"`) {
		t.Errorf("version %s: VersionId %q size %d ETag %q", aws.ToString(v1.VersionId), aws.ToString(out.VersionId), aws.ToInt64(out.ObjectSize), aws.ToString(out.ETag))
	}
	out = getAttributes(t, c, &s3.GetObjectAttributesInput{Bucket: &vb, Key: aws.String("doc")})
	if aws.ToInt64(out.ObjectSize) != 14 || aws.ToString(out.VersionId) == "" || aws.ToString(out.VersionId) == aws.ToString(v1.VersionId) {
		t.Errorf("current version: VersionId %q size %d", aws.ToString(out.VersionId), aws.ToInt64(out.ObjectSize))
	}
	del, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &vb, Key: aws.String("doc")})
	if err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	_, err = c.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: &vb, Key: aws.String("doc"), ObjectAttributes: allObjectAttributes})
	wantAPIError(t, err, "NoSuchKey", 404)
	// The marker's own version: 404 NoSuchKey too (S3's 405 is for GET
	// and HEAD), saying a marker was found.
	_, err = c.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: &vb, Key: aws.String("doc"), VersionId: del.VersionId, ObjectAttributes: allObjectAttributes})
	wantAPIError(t, err, "NoSuchKey", 404)
	resp, rb := rawDo(t, g, signed(t, g, "GET", "/"+vb+"/doc", map[string][]string{"attributes": {""}, "versionId": {aws.ToString(del.VersionId)}}, nil, "",
		http.Header{"X-Amz-Object-Attributes": {"ETag"}}))
	checkXMLError(t, resp, rb, http.StatusNotFound, "NoSuchKey")
	if resp.Header.Get("x-amz-delete-marker") != "true" || resp.Header.Get("x-amz-version-id") != aws.ToString(del.VersionId) {
		t.Errorf("marker version: x-amz-delete-marker %q x-amz-version-id %q", resp.Header.Get("x-amz-delete-marker"), resp.Header.Get("x-amz-version-id"))
	}

	// Refusals.
	_, err = c.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("missing"), ObjectAttributes: allObjectAttributes})
	wantAPIError(t, err, "NoSuchKey", 404)
	_, err = c.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: aws.String("no-such-bucket-here"), Key: aws.String("k"), ObjectAttributes: allObjectAttributes})
	wantAPIError(t, err, "NoSuchBucket", 404)
	_, err = c.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: aws.String("no-such-bucket-here"), Key: aws.String("k"), ObjectAttributes: []types.ObjectAttributes{}})
	wantAPIError(t, err, "NoSuchBucket", 404) // the missing bucket is named before the missing header
	_, err = c.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("one"), ObjectAttributes: []types.ObjectAttributes{"Colour"}})
	wantAPIError(t, err, "InvalidArgument", 400)
	resp, rb = rawDo(t, g, signed(t, g, "GET", "/"+b+"/one", map[string][]string{"attributes": {""}}, nil, "", nil))
	checkXMLError(t, resp, rb, http.StatusBadRequest, "InvalidRequest")
}

// TestGetObjectAttributesIngestOnly: the attributes come from the sealed
// metadata, so a host that cannot decrypt answers them as it answers HEAD.
func TestGetObjectAttributesIngestOnly(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, IngestOnly: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "backup", []byte("sealed"))
	_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("backup")})
	wantAPIError(t, err, "AccessDenied", 403)
	out := getAttributes(t, c, &s3.GetObjectAttributesInput{Bucket: &b, Key: aws.String("backup")})
	if aws.ToInt64(out.ObjectSize) != 6 || aws.ToString(out.ETag) == "" {
		t.Errorf("ingest-only: size %d ETag %q", aws.ToInt64(out.ObjectSize), aws.ToString(out.ETag))
	}
}
