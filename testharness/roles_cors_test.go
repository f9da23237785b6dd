package testharness

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestRolesBucketConfig: a bucket's CORS rules (which decide what
// browsers of other origins may do) and tags change only for users
// allowed to administer the bucket: the admin, and readwrite on its own
// buckets. The ingest and restore roles are refused and change nothing;
// restore may read the tags, as its role says.
func TestRolesBucketConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ingest := NewUser("db1", "ingest")
	ingest.Buckets = []string{"web-*"}
	restore := NewUser("restorer", "restore")
	web := NewUser("web", "readwrite")
	web.Buckets = []string{"web-*"}
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", WriteUsersFile(t, filepath.Join(dir, "users.json"), ingest, restore, web)}})
	admin := S3Client(t, g, S3Options{})
	b, other := "web-assets", "other-assets"
	for _, name := range []string{b, other} {
		if _, err := admin.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	cors := &types.CORSConfiguration{CORSRules: []types.CORSRule{{AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{"GET"}}}}
	open := &types.CORSConfiguration{CORSRules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PUT", "DELETE"}}}}
	tags := &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}
	if _, err := admin.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: cors}); err != nil {
		t.Fatalf("PutBucketCors as admin: %v", err)
	}
	if _, err := admin.PutBucketTagging(ctx(t), &s3.PutBucketTaggingInput{Bucket: &b, Tagging: tags}); err != nil {
		t.Fatalf("PutBucketTagging as admin: %v", err)
	}

	for name, u := range map[string]User{"ingest": ingest, "restore": restore} {
		c := UserS3Client(t, g, u, S3Options{})
		_, err := c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: open})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = c.DeleteBucketCors(ctx(t), &s3.DeleteBucketCorsInput{Bucket: &b})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: &b})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = c.PutBucketTagging(ctx(t), &s3.PutBucketTaggingInput{Bucket: &b, Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("team"), Value: aws.String("mine")}}}})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = c.DeleteBucketTagging(ctx(t), &s3.DeleteBucketTaggingInput{Bucket: &b})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = c.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: &b})
		if name == "restore" && err != nil {
			t.Errorf("GetBucketTagging as restore: %v", err)
		} else if name == "ingest" {
			wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		}
	}
	got, err := admin.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: &b})
	if err != nil || len(got.CORSRules) != 1 || got.CORSRules[0].AllowedOrigins[0] != "https://app.example" {
		t.Fatalf("CORS after refused changes: %+v, %v", got, err)
	}
	if tg, err := admin.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: &b}); err != nil || tagString(tg.TagSet) != "team=web" {
		t.Errorf("tags after refused changes: %v", err)
	}

	// readwrite administers its own buckets, and only those.
	w := UserS3Client(t, g, web, S3Options{})
	if _, err := w.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: open}); err != nil {
		t.Errorf("PutBucketCors as readwrite on its bucket: %v", err)
	}
	_, err = w.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: &other, CORSConfiguration: open})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = admin.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: &other})
	wantAPIError(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)
}
