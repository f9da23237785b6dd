package testharness

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// countVersions lists bucket b's versions and delete markers of key.
func countVersions(t testing.TB, c *s3.Client, b, key string) (versions, markers int) {
	t.Helper()
	lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b, Prefix: &key})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	for _, v := range lv.Versions {
		if aws.ToString(v.Key) == key {
			versions++
		}
	}
	for _, m := range lv.DeleteMarkers {
		if aws.ToString(m.Key) == key {
			markers++
		}
	}
	return versions, markers
}

// TestConditionalDeletesVersioned: in a versioned bucket a conditional
// DeleteObject is judged against the current version, as S3 documents:
// a mismatch is 412 and places no marker, a match places the marker, a
// current delete marker is no object (If-Match: 404 NoSuchKey), and
// conditions with a versionId are refused, never ignored. Through
// aws-sdk-go-v2.
func TestConditionalDeletesVersioned(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	key := "k"
	first := put(t, c, b, key, []byte("first"))
	second := put(t, c, b, key, []byte("second!"))
	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	del := func(in s3.DeleteObjectInput) (*s3.DeleteObjectOutput, error) {
		in.Bucket, in.Key = &b, &key
		return c.DeleteObject(ctx(t), &in)
	}
	refuse := func(in s3.DeleteObjectInput, code string, status int) {
		t.Helper()
		_, err := del(in)
		wantAPIError(t, err, code, status)
	}

	// The noncurrent version's ETag, a wrong size or time: 412, nothing placed.
	refuse(s3.DeleteObjectInput{IfMatch: first.ETag}, "PreconditionFailed", 412)
	refuse(s3.DeleteObjectInput{IfMatchSize: aws.Int64(5)}, "PreconditionFailed", 412)
	refuse(s3.DeleteObjectInput{IfMatchLastModifiedTime: aws.Time(head.LastModified.Add(-time.Hour))}, "PreconditionFailed", 412)
	if v, m := countVersions(t, c, b, key); v != 2 || m != 0 {
		t.Fatalf("after refused deletes: %d versions, %d markers; want 2, 0", v, m)
	}
	if got := get(t, c, b, key); string(got) != "second!" {
		t.Fatalf("current object after refused deletes: %q", got)
	}

	// Conditions naming a version are refused, and the version stays.
	refuse(s3.DeleteObjectInput{IfMatch: first.ETag, VersionId: first.VersionId}, "NotImplemented", 501)
	if body, _ := getVersion(t, c, b, key, aws.ToString(first.VersionId)); string(body) != "first" {
		t.Fatalf("version after a refused versioned conditional delete: %q", body)
	}

	// All conditions hold: a delete marker becomes current.
	out, err := del(s3.DeleteObjectInput{IfMatch: second.ETag, IfMatchSize: aws.Int64(7), IfMatchLastModifiedTime: head.LastModified})
	if err != nil {
		t.Fatalf("conditional delete whose conditions hold: %v", err)
	}
	if !aws.ToBool(out.DeleteMarker) || aws.ToString(out.VersionId) == "" {
		t.Fatalf("conditional delete: DeleteMarker %v VersionId %q; want a marker with an ID", aws.ToBool(out.DeleteMarker), aws.ToString(out.VersionId))
	}
	if v, m := countVersions(t, c, b, key); v != 2 || m != 1 {
		t.Fatalf("after the conditional delete: %d versions, %d markers; want 2, 1", v, m)
	}

	// The current version is a marker: If-Match finds no object (404) and
	// places no second marker; other conditions answer 204.
	refuse(s3.DeleteObjectInput{IfMatch: second.ETag}, "NoSuchKey", 404)
	refuse(s3.DeleteObjectInput{IfMatch: aws.String("*")}, "NoSuchKey", 404)
	if v, m := countVersions(t, c, b, key); v != 2 || m != 1 {
		t.Fatalf("after If-Match on a marker: %d versions, %d markers; want 2, 1", v, m)
	}
	if _, err := del(s3.DeleteObjectInput{IfMatchSize: aws.Int64(7)}); err != nil {
		t.Fatalf("IfMatchSize with a marker current: %v (S3: 204)", err)
	}

	// If-Match: * deletes an object that exists.
	put(t, c, b, "star", []byte("s"))
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("star"), IfMatch: aws.String("*")}); err != nil {
		t.Fatalf("If-Match: * on a live object: %v", err)
	}
	if v, m := countVersions(t, c, b, "star"); v != 1 || m != 1 {
		t.Fatalf("star: %d versions, %d markers; want 1, 1", v, m)
	}

	// DeleteObjects with ETag per object.
	pa := put(t, c, b, "a", []byte("a"))
	pb := put(t, c, b, "b", []byte("b"))
	do, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("a"), ETag: pb.ETag},
		{Key: aws.String("b"), ETag: pb.ETag},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(do.Deleted) != 1 || aws.ToString(do.Deleted[0].Key) != "b" || !aws.ToBool(do.Deleted[0].DeleteMarker) ||
		len(do.Errors) != 1 || aws.ToString(do.Errors[0].Code) != "PreconditionFailed" {
		t.Fatalf("DeleteObjects with ETags: deleted %+v errors %+v", do.Deleted, do.Errors)
	}
	if got := get(t, c, b, "a"); string(got) != "a" || pa.ETag == nil {
		t.Fatalf("a after its refused delete: %q", got)
	}
}

// TestConditionalDeletesSuspended: with versioning suspended the null
// version is judged; a match replaces it with a null delete marker.
// Through boto3, as conformance suites drive it.
func TestConditionalDeletesSuspended(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	out := Boto3(t, g, `
b = "cond-suspended"
s3.create_bucket(Bucket=b)
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
kept = s3.put_object(Bucket=b, Key="k", Body=b"versioned")
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
null = s3.put_object(Bucket=b, Key="k", Body=b"null version")
res = {}
def err(fn):
    try:
        r = fn()
        return "ok %s %s" % (r.get("DeleteMarker"), r.get("VersionId"))
    except botocore.exceptions.ClientError as e:
        return "%d %s" % (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
res["wrong"] = err(lambda: s3.delete_object(Bucket=b, Key="k", IfMatch=kept["ETag"]))
res["afterWrong"] = s3.get_object(Bucket=b, Key="k")["Body"].read().decode()
res["match"] = err(lambda: s3.delete_object(Bucket=b, Key="k", IfMatch=null["ETag"]))
res["onMarker"] = err(lambda: s3.delete_object(Bucket=b, Key="k", IfMatch="*"))
lv = s3.list_object_versions(Bucket=b)
res["versions"] = sorted(v["VersionId"] == kept["VersionId"] for v in lv.get("Versions", []))
res["markers"] = [m["VersionId"] for m in lv.get("DeleteMarkers", [])]
print(json.dumps(res))
`)
	var res struct {
		Wrong, AfterWrong, Match, OnMarker string
		Versions                           []bool
		Markers                            []string
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	if res.Wrong != "412 PreconditionFailed" || res.AfterWrong != "null version" {
		t.Fatalf("If-Match of the other version: %q, then the object is %q", res.Wrong, res.AfterWrong)
	}
	if res.Match != "ok True null" {
		t.Fatalf("If-Match of the null version: %q; want a null delete marker", res.Match)
	}
	if res.OnMarker != "404 NoSuchKey" {
		t.Fatalf("If-Match: * with a marker current: %q", res.OnMarker)
	}
	// The null version went (the marker took its place); the enabled-era
	// version stays.
	if len(res.Versions) != 1 || !res.Versions[0] || len(res.Markers) != 1 || res.Markers[0] != "null" {
		t.Fatalf("versions %v markers %v; want the versioned one and one null marker", res.Versions, res.Markers)
	}
}
