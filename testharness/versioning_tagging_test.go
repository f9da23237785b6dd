package testharness

import (
	"bytes"
	"errors"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TestVersionTagging: in a versioned bucket each version carries its own
// tags, as in S3. Get/Put/DeleteObjectTagging with a VersionId read or
// change that version only (answering its ID in x-amz-version-id) and
// never its data; a delete marker is 405, a deleted version 404
// NoSuchVersion, a malformed ID 400. Naming a version asks the Version
// form of the action: the restore role reads version tags, the ingest
// role cannot retag an old backup through its version.
func TestVersionTagging(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	owner := NewUser("owner", "readwrite")
	ingest := NewUser("db1", "ingest")
	restore := NewUser("restorer", "restore")
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", WriteUsersFile(t, filepath.Join(dir, "users.json"), owner, ingest, restore)}})
	c := UserS3Client(t, g, owner, S3Options{})
	b := "backups-tags"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	key := "db/full"
	var vids []string
	for i, tag := range []string{"gen=1", "gen=2", "gen=3"} {
		out, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(Data(uint64(i), 2000+i)), Tagging: aws.String(tag)})
		if err != nil {
			t.Fatal(err)
		}
		vids = append(vids, aws.ToString(out.VersionId))
	}
	versionTags := func(vid string) string {
		t.Helper()
		out, err := c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: &b, Key: &key, VersionId: &vid})
		if err != nil {
			t.Fatalf("GetObjectTagging versionId=%s: %v", vid, err)
		}
		if got := aws.ToString(out.VersionId); got != vid {
			t.Errorf("GetObjectTagging versionId=%s answered version %q", vid, got)
		}
		return tagString(out.TagSet)
	}
	for i, want := range []string{"gen=1", "gen=2", "gen=3"} {
		if got := versionTags(vids[i]); got != want {
			t.Errorf("version %d tags %q, want %q", i, got, want)
		}
	}

	// Retag the oldest version: only it changes, its data stays.
	put, err := c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: &key, VersionId: &vids[0],
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("keep"), Value: aws.String("forever")}}}})
	if err != nil {
		t.Fatalf("PutObjectTagging of a version: %v", err)
	}
	if got := aws.ToString(put.VersionId); got != vids[0] {
		t.Errorf("PutObjectTagging answered version %q, want %q", got, vids[0])
	}
	if got := versionTags(vids[0]); got != "keep=forever" {
		t.Errorf("retagged version: %q", got)
	}
	if got := getTags(t, c, b, key); got != "gen=3" {
		t.Errorf("current version's tags after retagging an old one: %q", got)
	}
	if body, out := getVersion(t, c, b, key, vids[0]); !bytes.Equal(body, Data(0, 2000)) || aws.ToInt32(out.TagCount) != 1 {
		t.Errorf("retagged version reads back %d bytes with %d tags", len(body), aws.ToInt32(out.TagCount))
	}
	del, err := c.DeleteObjectTagging(ctx(t), &s3.DeleteObjectTaggingInput{Bucket: &b, Key: &key, VersionId: &vids[1]})
	if err != nil {
		t.Fatalf("DeleteObjectTagging of a version: %v", err)
	}
	if got := aws.ToString(del.VersionId); got != vids[1] {
		t.Errorf("DeleteObjectTagging answered version %q, want %q", got, vids[1])
	}
	if got := versionTags(vids[1]); got != "" {
		t.Errorf("version tags after DeleteObjectTagging: %q", got)
	}
	if got := versionTags(vids[2]); got != "gen=3" {
		t.Errorf("current version named by ID: %q", got)
	}

	// The restore role reads a version's tags; the ingest role cannot
	// change them, with or without naming the version.
	r := UserS3Client(t, g, restore, S3Options{})
	if out, err := r.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: &b, Key: &key, VersionId: &vids[0]}); err != nil || tagString(out.TagSet) != "keep=forever" {
		t.Errorf("restore role reading a version's tags: %v", err)
	}
	in := UserS3Client(t, g, ingest, S3Options{})
	_, err = in.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: &key, VersionId: &vids[0],
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("keep"), Value: aws.String("no")}}}})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = in.DeleteObjectTagging(ctx(t), &s3.DeleteObjectTaggingInput{Bucket: &b, Key: &key, VersionId: &vids[0]})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if got := versionTags(vids[0]); got != "keep=forever" {
		t.Errorf("tags after refused retagging: %q", got)
	}

	// A delete marker has no tags to read or set (405); a deleted version
	// is NoSuchVersion; a malformed ID is InvalidArgument.
	dm, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: &b, Key: &key, VersionId: dm.VersionId})
	wantAPIError(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)
	_, err = c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: &key, VersionId: dm.VersionId,
		Tagging: &types.Tagging{TagSet: []types.Tag{}}})
	wantAPIError(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)
	_, err = c.DeleteObjectTagging(ctx(t), &s3.DeleteObjectTaggingInput{Bucket: &b, Key: &key, VersionId: dm.VersionId})
	wantAPIError(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: &vids[1]}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: &b, Key: &key, VersionId: &vids[1]})
	wantAPIError(t, err, "NoSuchVersion", http.StatusNotFound)
	_, err = c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: &key, VersionId: &vids[1],
		Tagging: &types.Tagging{TagSet: []types.Tag{}}})
	wantAPIError(t, err, "NoSuchVersion", http.StatusNotFound)
	_, err = c.DeleteObjectTagging(ctx(t), &s3.DeleteObjectTaggingInput{Bucket: &b, Key: &key, VersionId: aws.String("not_a_version")})
	wantAPIError(t, err, "InvalidArgument", http.StatusBadRequest)
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() != "Invalid version id specified" {
		t.Errorf("malformed version ID answered %q", ae.ErrorMessage())
	}
}
