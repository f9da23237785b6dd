package testharness

import (
	"bytes"
	"io/fs"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// racingPuts writes key n times at once; every PUT must succeed.
func racingPuts(t *testing.T, c *s3.Client, b, key string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(Data(uint64(i), 300000))})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent PutObject: %v", err)
		}
	}
}

// bucketFiles lists the regular files left under the bucket's directory,
// leaving out the bucket's own record, its lock files and its
// configuration (versioning, Object Lock), which the gateway keeps as the
// reserved key "\x00cfg".
func bucketFiles(t *testing.T, g *Gateway, b string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(g.DataDir, "buckets", b)
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if rel != "bucket" && filepath.Dir(rel) != "locks" && rel != filepath.Join("objects", "o%@cfg") {
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// TestRacingPutsLeaveNothingBehind: PUTs of one key racing each other
// leave one object in an unversioned bucket; once it is deleted no file
// of it remains and DeleteBucket succeeds. In a bucket created with
// Object Lock (versioned, as in S3) every PUT is a version: deleting the
// key without a version ID adds a delete marker, DeleteBucket answers
// 409 BucketNotEmpty as S3 does, and deleting every version and the
// marker empties the bucket so that DeleteBucket succeeds.
func TestRacingPutsLeaveNothingBehind(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	key := "my-obj"

	plain := newBucket(t, c)
	racingPuts(t, c, plain, key, 10)
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &plain, Key: &key}); err != nil {
		t.Fatal(err)
	}
	if left := bucketFiles(t, g, plain); len(left) > 0 {
		t.Errorf("unversioned bucket: files left after the racing PUTs and the delete: %v", left)
	}
	if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &plain}); err != nil {
		t.Errorf("DeleteBucket of the emptied bucket: %v", err)
	}

	locked := newLockBucket(t, c)
	racingPuts(t, c, locked, key, 10)
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &locked, Key: &key}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &locked}); httpStatus(err) != http.StatusConflict {
		t.Fatalf("DeleteBucket with versions and a delete marker: %v, want 409 BucketNotEmpty", err)
	}
	vs, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &locked})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != 10 || len(vs.DeleteMarkers) != 1 {
		t.Fatalf("%d versions and %d delete markers, want 10 and 1", len(vs.Versions), len(vs.DeleteMarkers))
	}
	ids := []*string{vs.DeleteMarkers[0].VersionId}
	for _, v := range vs.Versions {
		ids = append(ids, v.VersionId)
	}
	for _, id := range ids {
		if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &locked, Key: &key, VersionId: id}); err != nil {
			t.Fatalf("delete version %s: %v", aws.ToString(id), err)
		}
	}
	if left := bucketFiles(t, g, locked); len(left) > 0 {
		t.Errorf("versioned bucket: files left after deleting every version: %v", left)
	}
	if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &locked}); err != nil {
		t.Errorf("DeleteBucket of the emptied versioned bucket: %v", err)
	}
}
