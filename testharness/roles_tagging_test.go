package testharness

import (
	"bytes"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestIngestRoleTags: a backup host with the ingest role tags its uploads
// (full vs incremental, single and multipart) but cannot retag or untag a
// stored backup, which could otherwise steer lifecycle rules; a user
// without tagging rights cannot tag through x-amz-tagging either.
func TestIngestRoleTags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ingest := NewUser("db1", "ingest")
	ingest.Buckets = []string{"backups-*"}
	restore := NewUser("restorer", "restore")
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", WriteUsersFile(t, filepath.Join(dir, "users.json"), ingest, restore)}})
	c := UserS3Client(t, g, ingest, S3Options{})
	r := UserS3Client(t, g, restore, S3Options{})
	b := "backups-db1"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}

	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("inc-1"), Body: bytes.NewReader([]byte("incremental")),
		Tagging: aws.String("kind=incremental")}); err != nil {
		t.Fatalf("tagged PUT as ingest: %v", err)
	}
	cu, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("full-1"), Tagging: aws.String("kind=full")})
	if err != nil {
		t.Fatalf("tagged CreateMultipartUpload as ingest: %v", err)
	}
	up, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("full-1"), UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("full"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("full-1"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32}}}}); err != nil {
		t.Fatalf("CompleteMultipartUpload as ingest: %v", err)
	}
	for key, want := range map[string]string{"inc-1": "kind=incremental", "full-1": "kind=full"} {
		if got := getTags(t, r, b, key); got != want {
			t.Errorf("%s: tags %q, want %q", key, got, want)
		}
	}

	// Retagging or untagging a stored backup is refused and changes nothing.
	_, err = c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("full-1"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("kind"), Value: aws.String("expire-now")}}}})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.DeleteObjectTagging(ctx(t), &s3.DeleteObjectTaggingInput{Bucket: &b, Key: aws.String("full-1")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if got := getTags(t, r, b, "full-1"); got != "kind=full" {
		t.Errorf("tags after refused retagging: %q", got)
	}
	// The restore role reads tags but sets none, not even with a copy.
	_, err = r.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("r"), Body: bytes.NewReader([]byte("x")), Tagging: aws.String("a=1")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
}
