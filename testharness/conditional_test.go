package testharness

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

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
	for k := range keys {
		key := fmt.Sprintf("race/%d", k)
		var wg sync.WaitGroup
		errs := make([]error, writers)
		start := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				body := Data(uint64(k*writers+w), 64<<10)
				_, errs[w] = clients[w%2].PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(body), IfNoneMatch: aws.String("*")})
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for w, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("%s: writers %d and %d both created the object", key, winner, w)
			case err == nil:
				winner = w
			default:
				wantAPIError(t, err, "PreconditionFailed", 412)
			}
		}
		if winner < 0 {
			t.Fatalf("%s: no writer won", key)
		}
		want := Data(uint64(k*writers+winner), 64<<10)
		for _, c := range clients {
			if got := get(t, c, b, key); !bytes.Equal(got, want) {
				t.Fatalf("%s: object is not the winner's (writer %d)", key, winner)
			}
		}
	}
}
