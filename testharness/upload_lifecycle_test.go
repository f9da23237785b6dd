package testharness

import (
	"bytes"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestDeleteBucketWithUploads: a bucket that holds only uploads in
// progress is deleted with them, as on S3; one with an object is not, and
// its uploads survive the refusal.
func TestDeleteBucketWithUploads(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	var ids []string
	for _, k := range []string{"a", "b/c"} {
		cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(cr.UploadId))
	}
	uploadPart(t, c, b, "a", ids[0], 1, []byte("part"), "")
	put(t, c, b, "obj", []byte("x"))
	_, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b})
	wantAPIError(t, err, "BucketNotEmpty", 409)
	lu, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(lu.Uploads) != 2 {
		t.Fatalf("uploads after a refused DeleteBucket: %v %+v", err, lu)
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("obj")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucket of a bucket with only uploads: %v", err)
	}
	_, err = c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
	wantAPIError(t, err, "NoSuchBucket", 404)
	_, err = c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("a"), UploadId: &ids[0], PartNumber: aws.Int32(2), Body: bytes.NewReader([]byte("late"))})
	wantAPIError(t, err, "NoSuchBucket", 404)
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	lu, err = c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(lu.Uploads) != 0 {
		t.Fatalf("recreated bucket: %v, uploads %+v", err, lu.Uploads)
	}
	_, err = c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: aws.String("a"), UploadId: &ids[0]})
	wantAPIError(t, err, "NoSuchUpload", 404)
}

// TestDeleteBucketRacesUploadAcrossGateways: one gateway deletes a bucket
// while another streams parts into an upload in it. Every part either
// landed before the delete or fails with NoSuchBucket (404); afterwards
// the bucket is gone, and a bucket recreated under its name is empty.
func TestDeleteBucketRacesUploadAcrossGateways(t *testing.T) {
	t.Parallel()
	g1 := Start(t, Options{NoFsync: true})
	g2 := Start(t, Options{NoFsync: true, Share: g1})
	c1, c2 := S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})
	for round := range 4 {
		b := newBucket(t, c1)
		cr, err := c2.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("big")})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var partErr error
		ok := 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := int32(1); n <= 50; n++ {
				_, err := c2.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("big"), UploadId: cr.UploadId,
					PartNumber: aws.Int32(n), Body: bytes.NewReader(Data(uint64(n), 256<<10))})
				if err != nil {
					partErr = err
					return
				}
				ok++
			}
		}()
		if round > 0 {
			// Let some parts land first (round 0 deletes at once).
			for i := 0; i < 1000 && !partsListed(t, c1, b, cr.UploadId); i++ {
			}
		}
		_, delErr := c1.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b})
		wg.Wait()
		if delErr != nil {
			t.Fatalf("round %d: DeleteBucket with an upload in progress: %v", round, delErr)
		}
		if partErr == nil {
			t.Logf("round %d: all %d parts landed before the delete", round, ok)
		} else {
			wantAPIError(t, partErr, "NoSuchBucket", 404)
		}
		_, err = c2.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: &b})
		wantAPIError(t, err, "", 404)
		if _, err := c2.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
			t.Fatal(err)
		}
		lu, err := c1.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
		lo, err2 := c1.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
		if err != nil || err2 != nil || len(lu.Uploads) != 0 || len(lo.Contents) != 0 {
			t.Fatalf("round %d: recreated bucket: %v %v, %d uploads, %d objects", round, err, err2, len(lu.Uploads), len(lo.Contents))
		}
	}
}

// partsListed reports whether the upload has at least one part.
func partsListed(t *testing.T, c *s3.Client, b string, id *string) bool {
	lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: aws.String("big"), UploadId: id})
	return err == nil && len(lp.Parts) > 0
}

// TestDuplicateCompleteAcrossGateways: several callers, through two
// gateway processes, complete the same upload with the same part list at
// once: every one gets 200 and the same ETag, as from S3. A later
// complete with another part list gets NoSuchUpload.
func TestDuplicateCompleteAcrossGateways(t *testing.T) {
	t.Parallel()
	g1 := Start(t, Options{NoFsync: true})
	g2 := Start(t, Options{NoFsync: true, Share: g1})
	clients := []*s3.Client{S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})}
	b := newBucket(t, clients[0])
	for round := range 5 {
		key := "dup"
		cr, err := clients[0].CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(cr.UploadId)
		parts := []types.CompletedPart{
			uploadPart(t, clients[0], b, key, id, 1, Data(uint64(round), 5<<20), types.ChecksumAlgorithmCrc32c),
			uploadPart(t, clients[1], b, key, id, 2, Data(uint64(round+100), 1000), types.ChecksumAlgorithmCrc32c),
		}
		const callers = 8
		outs := make([]*s3.CompleteMultipartUploadOutput, callers)
		errs := atOnce(callers, func(i int) (err error) {
			outs[i], err = clients[i%2].CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: &id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			return err
		})
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("round %d: caller %d of a duplicate complete: %v", round, i, errs[i])
			}
			if aws.ToString(outs[i].ETag) != aws.ToString(outs[0].ETag) || aws.ToString(outs[i].ChecksumCRC32C) != aws.ToString(outs[0].ChecksumCRC32C) || aws.ToString(outs[i].ChecksumCRC32C) == "" {
				t.Fatalf("round %d: caller %d got ETag %s checksum %s, caller 0 got %s %s", round, i,
					aws.ToString(outs[i].ETag), aws.ToString(outs[i].ChecksumCRC32C), aws.ToString(outs[0].ETag), aws.ToString(outs[0].ChecksumCRC32C))
			}
		}
		want := append(Data(uint64(round), 5<<20), Data(uint64(round+100), 1000)...)
		if got := get(t, clients[1], b, key); !bytes.Equal(got, want) {
			t.Fatalf("round %d: object differs from its parts", round)
		}
		_, err = clients[0].CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: &id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts[:1]}})
		wantAPIError(t, err, "NoSuchUpload", 404)
	}
}
