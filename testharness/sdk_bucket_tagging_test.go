package testharness

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"envelopegw/backend/s3/s3test"
)

// TestSDKBucketTagging: Put/Get/DeleteBucketTagging with the
// aws-sdk-go-v2 on the posix volume, with S3's limits and codes.
func TestSDKBucketTagging(t *testing.T) {
	t.Parallel()
	bucketTaggingRoundTrip(t, Start(t, Options{NoFsync: true}))
}

// TestUpstreamBucketTagging: the same through a gateway on an upstream
// S3 server (MinIO): bucket tags live in the gateway's configuration
// record there too.
func TestUpstreamBucketTagging(t *testing.T) {
	t.Parallel()
	bucketTaggingRoundTrip(t, Start(t, Options{Upstream: s3test.SharedMinIO(t)}))
}

func bucketTaggingRoundTrip(t *testing.T, g *Gateway) {
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	getBucketTags := func() (string, error) {
		out, err := c.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: &b})
		if err != nil {
			return "", err
		}
		return tagString(out.TagSet), nil
	}
	put := func(tags []types.Tag) error {
		_, err := c.PutBucketTagging(ctx(t), &s3.PutBucketTaggingInput{Bucket: &b, Tagging: &types.Tagging{TagSet: tags}})
		return err
	}
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

	_, err := getBucketTags()
	wantAPIError(t, err, "NoSuchTagSet", http.StatusNotFound)
	if err := put([]types.Tag{tag("team", "db"), tag("cost-center", "42 / ops")}); err != nil {
		t.Fatalf("PutBucketTagging: %v", err)
	}
	if got, err := getBucketTags(); err != nil || got != "cost-center=42 / ops,team=db" {
		t.Errorf("GetBucketTagging: %q, %v", got, err)
	}

	fifty := make([]types.Tag, 51)
	for i := range fifty {
		fifty[i] = tag(fmt.Sprint("k", i), "v")
	}
	wantAPIError(t, put(fifty), "BadRequest", http.StatusBadRequest)
	wantAPIError(t, put([]types.Tag{tag(strings.Repeat("k", 129), "v")}), "InvalidTag", http.StatusBadRequest)
	wantAPIError(t, put([]types.Tag{tag("k", strings.Repeat("v", 257))}), "InvalidTag", http.StatusBadRequest)
	wantAPIError(t, put([]types.Tag{tag("k", "1"), tag("k", "2")}), "InvalidTag", http.StatusBadRequest)
	if got, _ := getBucketTags(); got != "cost-center=42 / ops,team=db" {
		t.Errorf("refused PutBucketTagging changed the tags: %q", got)
	}
	if err := put(fifty[:50]); err != nil {
		t.Errorf("50 tags: %v", err)
	}

	// Objects keep their own tags; the bucket's are not theirs.
	key := "obj"
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if got := getTags(t, c, b, key); got != "" {
		t.Errorf("object tags of a tagged bucket's object: %q", got)
	}

	if _, err := c.DeleteBucketTagging(ctx(t), &s3.DeleteBucketTaggingInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucketTagging: %v", err)
	}
	_, err = getBucketTags()
	wantAPIError(t, err, "NoSuchTagSet", http.StatusNotFound)
	if _, err := c.DeleteBucketTagging(ctx(t), &s3.DeleteBucketTaggingInput{Bucket: &b}); err != nil {
		t.Errorf("DeleteBucketTagging without tags: %v", err)
	}

	// Tags go with the bucket: a new bucket of the same name has none.
	if err := put([]types.Tag{tag("a", "b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucket of a tagged bucket: %v", err)
	}
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	_, err = getBucketTags()
	wantAPIError(t, err, "NoSuchTagSet", http.StatusNotFound)
	missing := b + "-missing"
	_, err = c.PutBucketTagging(ctx(t), &s3.PutBucketTaggingInput{Bucket: &missing, Tagging: &types.Tagging{TagSet: []types.Tag{tag("a", "b")}}})
	wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
}
