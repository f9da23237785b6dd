package testharness

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestNullVersionBeforeVersioning: an object written before versioning
// was enabled is the "null" version, as in S3, while it is still current:
// GET and HEAD (with and without ?versionId=null) answer
// x-amz-version-id: null, ListObjectVersions lists it as null and latest,
// CopyObject and UploadPartCopy name it as the source version, and a
// DELETE keeps it under a marker. In a bucket never versioned no version header is sent.
// Through aws-sdk-go-v2.
func TestNullVersionBeforeVersioning(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	key := "old"
	put(t, c, b, key, []byte("before versioning"))

	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
	if err != nil || h.VersionId != nil {
		t.Fatalf("HEAD in a bucket never versioned: %v, version %q (S3 sends none)", err, aws.ToString(h.VersionId))
	}
	lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b})
	if err != nil || len(lv.Versions) != 1 || aws.ToString(lv.Versions[0].VersionId) != "null" || !aws.ToBool(lv.Versions[0].IsLatest) {
		t.Fatalf("ListObjectVersions of a bucket never versioned: %v %+v", err, lv.Versions)
	}

	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	for _, vid := range []*string{nil, aws.String("null")} {
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key, VersionId: vid})
		if err != nil || aws.ToString(h.VersionId) != "null" {
			t.Errorf("HEAD (versionId %q) of the pre-versioning object: %v, version %q; want null", aws.ToString(vid), err, aws.ToString(h.VersionId))
		}
		o, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: vid})
		if err != nil {
			t.Fatalf("GET (versionId %q): %v", aws.ToString(vid), err)
		}
		o.Body.Close()
		if aws.ToString(o.VersionId) != "null" {
			t.Errorf("GET (versionId %q): version %q; want null", aws.ToString(vid), aws.ToString(o.VersionId))
		}
	}
	lv, err = c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b})
	if err != nil || len(lv.Versions) != 1 || aws.ToString(lv.Versions[0].VersionId) != "null" || !aws.ToBool(lv.Versions[0].IsLatest) {
		t.Fatalf("ListObjectVersions after enabling: %v %+v", err, lv.Versions)
	}
	cp, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/" + key)})
	if err != nil || aws.ToString(cp.CopySourceVersionId) != "null" || aws.ToString(cp.VersionId) == "null" || cp.VersionId == nil {
		t.Errorf("CopyObject of the null version: %v, source version %q, new %q", err, aws.ToString(cp.CopySourceVersionId), aws.ToString(cp.VersionId))
	}

	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId, PartNumber: aws.Int32(1), CopySource: aws.String(b + "/" + key)})
	if err != nil || aws.ToString(pc.CopySourceVersionId) != "null" {
		t.Errorf("UploadPartCopy of the null version: %v, source version %q; want null", err, aws.ToString(pc.CopySourceVersionId))
	}
	pc, err = c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId, PartNumber: aws.Int32(2), CopySource: aws.String(b + "/copy")})
	if err != nil || aws.ToString(pc.CopySourceVersionId) != aws.ToString(cp.VersionId) {
		t.Errorf("UploadPartCopy of a version: %v, source version %q; want %q", err, aws.ToString(pc.CopySourceVersionId), aws.ToString(cp.VersionId))
	}

	del, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "null" {
		t.Fatalf("DELETE over the null version: %v %+v", err, del)
	}
	if got, out := getVersion(t, c, b, key, "null"); string(got) != "before versioning" || aws.ToString(out.VersionId) != "null" {
		t.Fatalf("the null version under a marker: %q, version %q", got, aws.ToString(out.VersionId))
	}
}

// TestNullVersionCLI: the aws CLI sees the same null version (the JSON a
// script reads), current and then noncurrent.
func TestNullVersionCLI(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	cli := AWSCLI(t, g)
	run := func(args ...string) []byte {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("s3api", "create-bucket", "--bucket", "cli-null")
	body := t.TempDir() + "/body"
	writeFile(t, body, "old")
	run("s3api", "put-object", "--bucket", "cli-null", "--key", "k", "--body", body)
	run("s3api", "put-bucket-versioning", "--bucket", "cli-null", "--versioning-configuration", "Status=Enabled")
	var head struct{ VersionId string }
	if err := json.Unmarshal(run("s3api", "head-object", "--bucket", "cli-null", "--key", "k"), &head); err != nil || head.VersionId != "null" {
		t.Fatalf("head-object: %v, VersionId %q; want null", err, head.VersionId)
	}
	writeFile(t, body, "new")
	run("s3api", "put-object", "--bucket", "cli-null", "--key", "k", "--body", body)
	var lv struct {
		Versions []struct {
			VersionId string
			IsLatest  bool
		}
	}
	if err := json.Unmarshal(run("s3api", "list-object-versions", "--bucket", "cli-null"), &lv); err != nil {
		t.Fatal(err)
	}
	if len(lv.Versions) != 2 || lv.Versions[0].VersionId == "null" || !lv.Versions[0].IsLatest || lv.Versions[1].VersionId != "null" || lv.Versions[1].IsLatest {
		t.Fatalf("list-object-versions: %+v; want the new version latest, then null", lv.Versions)
	}
	run("s3api", "get-object", "--bucket", "cli-null", "--key", "k", "--version-id", "null", body)
	if got, err := os.ReadFile(body); err != nil || string(got) != "old" {
		t.Fatalf("get-object --version-id null: %v %q", err, got)
	}
}
