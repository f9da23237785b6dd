package testharness

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestConditionalWrites: If-None-Match: * and If-Match on PutObject and
// CompleteMultipartUpload through aws-sdk-go-v2, with S3's answers.
func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	key := "cond/object"

	first, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader([]byte("first")), IfNoneMatch: aws.String("*")})
	if err != nil {
		t.Fatalf("create-only PUT of a new key: %v", err)
	}
	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader([]byte("second")), IfNoneMatch: aws.String("*")})
	wantAPIError(t, err, "PreconditionFailed", 412)
	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader([]byte("second")), IfMatch: aws.String(quoted(md5hex([]byte("other"))))})
	wantAPIError(t, err, "PreconditionFailed", 412)
	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("cond/none"), Body: bytes.NewReader([]byte("x")), IfMatch: first.ETag})
	wantAPIError(t, err, "NoSuchKey", 404)
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader([]byte("second")), IfMatch: first.ETag}); err != nil {
		t.Fatalf("PUT If-Match the current ETag: %v", err)
	}
	if got := get(t, c, b, key); string(got) != "second" {
		t.Fatalf("object is %q", got)
	}

	// CompleteMultipartUpload: refused completes keep the upload.
	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	part := uploadPart(t, c, b, key, aws.ToString(cr.UploadId), 1, []byte("multipart"), "")
	complete := func(ifNoneMatch, ifMatch *string) error {
		_, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{part}},
			IfNoneMatch:     ifNoneMatch, IfMatch: ifMatch})
		return err
	}
	wantAPIError(t, complete(aws.String("*"), nil), "PreconditionFailed", 412)
	wantAPIError(t, complete(nil, first.ETag), "PreconditionFailed", 412)
	if err := complete(nil, aws.String(quoted(md5hex([]byte("second"))))); err != nil {
		t.Fatalf("Complete If-Match the current ETag: %v", err)
	}
	if got := get(t, c, b, key); string(got) != "multipart" {
		t.Fatalf("object is %q", got)
	}
}

// TestConditionalCreateAcrossGateways: writers in two gateway processes on
// one volume race create-only PUTs on the same keys: for every key exactly
// one wins, every other gets 412, and the object is the winner's.
func TestConditionalCreateAcrossGateways(t *testing.T) {
	t.Parallel()
	g1 := Start(t, Options{NoFsync: true})
	g2 := Start(t, Options{NoFsync: true, Share: g1})
	clients := []*s3.Client{S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})}
	b := newBucket(t, clients[0])
	const keys, writers = 8, 8
	winners, refused := 0, 0
	for k := range keys {
		key := fmt.Sprintf("race/%d", k)
		body := func(w int) []byte { return Data(uint64(k*writers+w), 64<<10) }
		errs := atOnce(writers, func(w int) error {
			_, err := clients[w%2].PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(body(w)), IfNoneMatch: aws.String("*")})
			return err
		})
		oneCreateWon(t, clients, b, key, errs, body)
		winners, refused = winners+1, refused+len(errs)-1
	}
	t.Logf("%d keys, %d create-only writers each across 2 gateway processes: %d winners, %d PreconditionFailed", keys, writers, winners, refused)
}

// TestConditionalDeletes: DeleteObject with If-Match, IfMatchSize and
// IfMatchLastModifiedTime, DeleteObjects with ETag and Size per object,
// and AbortMultipartUpload with IfMatchInitiatedTime, through
// aws-sdk-go-v2.
func TestConditionalDeletes(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	po := put(t, c, b, "k", []byte("12345"))
	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	del := func(in s3.DeleteObjectInput) error {
		in.Bucket, in.Key = &b, aws.String("k")
		_, err := c.DeleteObject(ctx(t), &in)
		return err
	}
	wantAPIError(t, del(s3.DeleteObjectInput{IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)}), "PreconditionFailed", 412)
	wantAPIError(t, del(s3.DeleteObjectInput{IfMatchSize: aws.Int64(4)}), "PreconditionFailed", 412)
	wantAPIError(t, del(s3.DeleteObjectInput{IfMatchLastModifiedTime: aws.Time(head.LastModified.Add(-time.Hour))}), "PreconditionFailed", 412)
	if got := get(t, c, b, "k"); string(got) != "12345" {
		t.Fatalf("object after refused deletes: %q", got)
	}
	if err := del(s3.DeleteObjectInput{IfMatch: po.ETag, IfMatchSize: aws.Int64(5), IfMatchLastModifiedTime: head.LastModified}); err != nil {
		t.Fatalf("delete with conditions that hold: %v", err)
	}
	wantAPIError(t, del(s3.DeleteObjectInput{IfMatch: po.ETag}), "NoSuchKey", 404)
	if err := del(s3.DeleteObjectInput{IfMatchSize: aws.Int64(5)}); err != nil {
		t.Fatalf("delete of a missing key with IfMatchSize: %v (S3: 204)", err)
	}

	put(t, c, b, "a", []byte("a"))
	pb := put(t, c, b, "b", []byte("bb"))
	do, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("a"), ETag: pb.ETag},
		{Key: aws.String("b"), ETag: pb.ETag, Size: aws.Int64(2)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(do.Deleted) != 1 || aws.ToString(do.Deleted[0].Key) != "b" || len(do.Errors) != 1 || aws.ToString(do.Errors[0].Code) != "PreconditionFailed" {
		t.Fatalf("DeleteObjects with conditions: deleted %+v errors %+v", do.Deleted, do.Errors)
	}
	if got := get(t, c, b, "a"); string(got) != "a" {
		t.Fatalf("a: %q", got)
	}

	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("up")})
	if err != nil {
		t.Fatal(err)
	}
	lu, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(lu.Uploads) != 1 {
		t.Fatalf("ListMultipartUploads: %v %+v", err, lu)
	}
	abort := func(at *time.Time) error {
		_, err := c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: &b, Key: aws.String("up"), UploadId: cr.UploadId, IfMatchInitiatedTime: at})
		return err
	}
	wantAPIError(t, abort(aws.Time(lu.Uploads[0].Initiated.Add(-time.Minute))), "PreconditionFailed", 412)
	if err := abort(lu.Uploads[0].Initiated); err != nil {
		t.Fatalf("abort with the upload's initiation time: %v", err)
	}
	wantAPIError(t, abort(nil), "NoSuchUpload", 404)
}
