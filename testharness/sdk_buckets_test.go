package testharness

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKBuckets covers the bucket operations of the S3 API: create, list,
// head, location, versioning, object versions and delete, with their
// errors.
func TestSDKBuckets(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)

		lb, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{})
		if err != nil {
			t.Fatalf("ListBuckets: %v", err)
		}
		if !slices.ContainsFunc(lb.Buckets, func(x types.Bucket) bool { return aws.ToString(x.Name) == b }) {
			t.Errorf("ListBuckets does not list %s: %+v", b, lb.Buckets)
		}
		for _, x := range lb.Buckets {
			if x.CreationDate == nil || x.CreationDate.IsZero() {
				t.Errorf("bucket %s has no creation date", aws.ToString(x.Name))
			}
		}

		if _, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: &b}); err != nil {
			t.Errorf("HeadBucket %s: %v", b, err)
		}
		_, err = c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket-here")})
		wantAPIError(t, err, "", http.StatusNotFound)

		_, err = c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b})
		wantAPIError(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)

		for _, bad := range []string{strings.Repeat("x", 64), "b", "ab", "Has_Upper", "-leading-dash", "a..b", "192.168.1.1", "xyz!"} {
			_, err = c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bad)})
			wantAPIError(t, err, "InvalidBucketName", http.StatusBadRequest)
		}

		loc, err := c.GetBucketLocation(ctx(t), &s3.GetBucketLocationInput{Bucket: &b})
		if err != nil {
			t.Errorf("GetBucketLocation: %v", err)
		} else if l := string(loc.LocationConstraint); l != "" && l != "us-east-1" {
			t.Errorf("GetBucketLocation = %q, want \"\" (us-east-1)", l)
		}
		_, err = c.GetBucketLocation(ctx(t), &s3.GetBucketLocationInput{Bucket: aws.String("no-such-bucket-here")})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)

		ver, err := c.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: &b})
		if err != nil {
			t.Errorf("GetBucketVersioning: %v", err)
		} else if ver.Status != "" {
			t.Errorf("GetBucketVersioning status %q, want none (never versioned)", ver.Status)
		}

		put(t, c, b, "v/one", []byte("one"))
		put(t, c, b, "v/two", []byte("two!"))
		put(t, c, b, "w", nil)
		lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b, Prefix: aws.String("v/")})
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		var keys []string
		for _, v := range lv.Versions {
			keys = append(keys, aws.ToString(v.Key))
			if aws.ToString(v.VersionId) != "null" || !aws.ToBool(v.IsLatest) {
				t.Errorf("version of %s: VersionId %q IsLatest %v, want \"null\" and true", aws.ToString(v.Key), aws.ToString(v.VersionId), aws.ToBool(v.IsLatest))
			}
		}
		if !slices.Equal(keys, []string{"v/one", "v/two"}) {
			t.Errorf("ListObjectVersions keys %q, want v/one v/two", keys)
		}
		if len(lv.DeleteMarkers) != 0 {
			t.Errorf("unversioned bucket lists delete markers: %+v", lv.DeleteMarkers)
		}

		_, err = c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b})
		wantAPIError(t, err, "BucketNotEmpty", http.StatusConflict)
		for _, k := range []string{"v/one", "v/two", "w"} {
			if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String(k)}); err != nil {
				t.Fatalf("DeleteObject %s: %v", k, err)
			}
		}
		if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b}); err != nil {
			t.Fatalf("DeleteBucket of an emptied bucket: %v", err)
		}
		_, err = c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: &b})
		wantAPIError(t, err, "", http.StatusNotFound)
		_, err = c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
		_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: http.NoBody})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
		_, err = c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
		_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
	})
}

// TestNoInternalBuckets checks that the gateway's own bookkeeping
// under the data dir (multipart state, keys) never shows up as a bucket.
func TestNoInternalBuckets(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	// Leave an upload in progress so that multipart state exists on disk.
	if _, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	lb, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != b {
		var names []string
		for _, x := range lb.Buckets {
			names = append(names, aws.ToString(x.Name))
		}
		t.Errorf("ListBuckets = %q, want only %s", names, b)
	}
}
