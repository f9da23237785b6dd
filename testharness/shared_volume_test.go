package testharness

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestTwoGatewaysOneVolume: two `serve` processes on one data dir share
// multipart state. The upload is created and given parts through the first,
// more parts (in parallel, one re-sent) and Complete go through the second;
// both read the object back, list it, and see each other's single PUTs and
// deletes. A restarted process picks up an upload in progress.
func TestTwoGatewaysOneVolume(t *testing.T) {
	t.Parallel()
	g1 := Start(t, Options{NoFsync: true})
	g2 := Start(t, Options{NoFsync: true, Share: g1})
	c1, c2 := S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{ChecksumWhenRequired: true})
	b := newBucket(t, c1)
	if _, err := c2.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("second gateway does not see the bucket made through the first: %v", err)
	}

	key := "shared/upload"
	cr, err := c1.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, Metadata: map[string]string{"via": "g1"}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(cr.UploadId)
	parts := [][]byte{Data(1, 5*mib), Data(2, 5*mib), Data(3, 5*mib), Data(4, 5*mib), Data(5, 777)}
	done := make([]types.CompletedPart, len(parts))
	done[0] = uploadPart(t, c1, b, key, id, 1, parts[0], "")
	done[1] = uploadPart(t, c1, b, key, id, 2, Data(99, 5*mib), "") // replaced below through g2
	var wg sync.WaitGroup
	for i := 1; i < len(parts); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := c2
			if i == 3 {
				c = c1
			}
			out, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: &id, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(parts[i])})
			if err != nil {
				t.Errorf("UploadPart %d: %v", i+1, err)
				return
			}
			done[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Each gateway lists the parts the other received.
	for _, c := range []*s3.Client{c1, c2} {
		lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: &id})
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		if len(lp.Parts) != len(parts) || aws.ToString(lp.Parts[1].ETag) != quoted(md5hex(parts[1])) {
			t.Errorf("ListParts sees %d parts (part 2 ETag %s), want %d with the re-sent part 2", len(lp.Parts), aws.ToString(lp.Parts[1].ETag), len(parts))
		}
		lu, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
		if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != id {
			t.Errorf("ListMultipartUploads: %v %+v", err, lu)
		}
	}

	// Restart the first gateway mid-upload: the state is on the volume.
	g1.Restart()

	co, err := c2.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("Complete through the second gateway: %v", err)
	}
	if aws.ToString(co.ETag) != multipartETag(parts...) {
		t.Errorf("Complete ETag %s, want %s", aws.ToString(co.ETag), multipartETag(parts...))
	}
	whole := slices.Concat(parts...)
	for i, c := range []*s3.Client{c1, c2} {
		if got := get(t, c, b, key); !bytes.Equal(got, whole) {
			t.Errorf("gateway %d reads %d bytes that differ from the parts", i+1, len(got))
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
		if err != nil || h.Metadata["via"] != "g1" {
			t.Errorf("gateway %d HEAD: %v, metadata %v", i+1, err, h.Metadata)
		}
		checkRanges(t, c, b, key, whole, []rangeCase{{"bytes=5242870-10485770", 5242870, 10485770}})
	}
	_, err = c1.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: &id})
	wantAPIError(t, err, "NoSuchUpload", 404)

	// Single objects and deletes cross over too.
	put(t, c2, b, "from-g2", []byte("hello from g2"))
	if got := get(t, c1, b, "from-g2"); string(got) != "hello from g2" {
		t.Errorf("g1 reads %q", got)
	}
	if _, err := c1.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("from-g2")}); err != nil {
		t.Fatal(err)
	}
	_, err = c2.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("from-g2")})
	wantAPIError(t, err, "", 404)
}
