package testharness

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// tagString renders a tag set as "k=v,k=v" in the order the gateway
// returned it.
func tagString(tags []types.Tag) string {
	var s []string
	for _, t := range tags {
		s = append(s, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return strings.Join(s, ",")
}

func getTags(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObjectTagging %s: %v", key, err)
	}
	return tagString(out.TagSet)
}

func tagCount(t *testing.T, c *s3.Client, bucket, key string) (head, get int32) {
	t.Helper()
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject %s: %v", key, err)
	}
	g, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	g.Body.Close()
	return aws.ToInt32(h.TagCount), aws.ToInt32(g.TagCount)
}

// TestSDKObjectTagging covers object tags as backup tools use them: tags
// at upload (single and multipart), read back, replaced, deleted, copied
// or replaced on copy, counted on GET/HEAD, and S3's refusals.
func TestSDKObjectTagging(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		body := bytes.Repeat([]byte("backup "), 1000)
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("full"), Body: bytes.NewReader(body),
			Tagging: aws.String("kind=full&taken=2026-12-07 04:00&host=db7.example")}); err != nil {
			t.Fatalf("PutObject with Tagging: %v", err)
		}
		if got := getTags(t, c, b, "full"); got != "host=db7.example,kind=full,taken=2026-12-07 04:00" { // sorted by key, as S3 lists them
			t.Errorf("tags %q", got)
		}
		if h, g := tagCount(t, c, b, "full"); h != 3 || g != 3 {
			t.Errorf("TagCount HEAD %d GET %d, want 3", h, g)
		}

		head, _ := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("full")})
		if _, err := c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("full"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("kind"), Value: aws.String("incremental")}, {Key: aws.String("ünïcode"), Value: aws.String("數據 @:/=+-._")}}}}); err != nil {
			t.Fatalf("PutObjectTagging: %v", err)
		}
		if got := getTags(t, c, b, "full"); got != "kind=incremental,ünïcode=數據 @:/=+-._" {
			t.Errorf("tags after PutObjectTagging %q", got)
		}
		after, _ := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("full")})
		if aws.ToString(after.ETag) != aws.ToString(head.ETag) || !aws.ToTime(after.LastModified).Equal(aws.ToTime(head.LastModified)) {
			t.Errorf("PutObjectTagging changed ETag/Last-Modified: %s %v -> %s %v", aws.ToString(head.ETag), head.LastModified, aws.ToString(after.ETag), after.LastModified)
		}
		if got := get(t, c, b, "full"); !bytes.Equal(got, body) {
			t.Errorf("object data changed by tagging")
		}
		if _, err := c.DeleteObjectTagging(ctx(t), &s3.DeleteObjectTaggingInput{Bucket: &b, Key: aws.String("full")}); err != nil {
			t.Fatalf("DeleteObjectTagging: %v", err)
		}
		if got := getTags(t, c, b, "full"); got != "" {
			t.Errorf("tags after DeleteObjectTagging %q", got)
		}
		if h, g := tagCount(t, c, b, "full"); h != 0 || g != 0 {
			t.Errorf("TagCount without tags HEAD %d GET %d", h, g)
		}

		// Copies keep the source's tags (COPY) or take new ones (REPLACE).
		put(t, c, b, "src", body)
		if _, err := c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("src"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}}); err != nil {
			t.Fatal(err)
		}
		src := aws.String(b + "/src")
		if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: src}); err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("replace"), CopySource: src,
			TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("b=2")}); err != nil {
			t.Fatalf("CopyObject REPLACE: %v", err)
		}
		if got := getTags(t, c, b, "copy") + "|" + getTags(t, c, b, "replace"); got != "a=1|b=2" {
			t.Errorf("copied tags %q, want a=1|b=2", got)
		}

		// Multipart uploads take their tags at creation.
		cu, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), Tagging: aws.String("kind=full")})
		if err != nil {
			t.Fatalf("CreateMultipartUpload with Tagging: %v", err)
		}
		up, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp"), UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatalf("UploadPart: %v", err)
		}
		if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: cu.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32}}}}); err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		if got := getTags(t, c, b, "mp"); got != "kind=full" {
			t.Errorf("multipart tags %q", got)
		}

		// S3's refusals.
		eleven := make([]types.Tag, 11)
		for i := range eleven {
			eleven[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
		}
		// More than 10 tags is S3's 400 BadRequest "Object tags cannot be
		// greater than 10"; each bad tag is InvalidTag.
		_, err = c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("src"), Tagging: &types.Tagging{TagSet: eleven}})
		wantAPIError(t, err, "BadRequest", http.StatusBadRequest)
		if msg := errMessage(err); msg != "Object tags cannot be greater than 10" {
			t.Errorf("11 tags: message %q", msg)
		}
		for _, bad := range [][]types.Tag{
			{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}},
			{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}},
			{{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}},
			{{Key: aws.String("aws:reserved"), Value: aws.String("v")}},
			{{Key: aws.String("star*"), Value: aws.String("v")}},
		} {
			_, err := c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("src"), Tagging: &types.Tagging{TagSet: bad}})
			wantAPIError(t, err, "InvalidTag", http.StatusBadRequest)
		}
		if got := getTags(t, c, b, "src"); got != "a=1" {
			t.Errorf("a refused PutObjectTagging changed the tags: %q", got)
		}
		_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: bytes.NewReader(body), Tagging: aws.String("aws:x=1")})
		wantAPIError(t, err, "InvalidTag", http.StatusBadRequest)
		// A header that is not URL query form (an empty key, a second
		// "=") is InvalidArgument, as S3 answers it.
		for _, h := range []string{"=", "=v&k=1", "k=v=w", "TagSet=[{Key=a,Value=b}]"} {
			_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: bytes.NewReader(body), Tagging: aws.String(h)})
			wantAPIError(t, err, "InvalidArgument", http.StatusBadRequest)
		}
		_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("bad")})
		wantAPIError(t, err, "", http.StatusNotFound)
		_, err = c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("missing")})
		wantAPIError(t, err, "NoSuchKey", http.StatusNotFound)

		// Bucket tags: sdk_bucket_tagging_test.go.
	})
}
