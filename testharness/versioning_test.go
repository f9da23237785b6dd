package testharness

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// enableVersioning turns versioning on for bucket b.
func enableVersioning(t testing.TB, c *s3.Client, b string, status types.BucketVersioningStatus) {
	t.Helper()
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: status}}); err != nil {
		t.Fatalf("PutBucketVersioning %s: %v", status, err)
	}
}

// getVersion reads one version whole.
func getVersion(t testing.TB, c *s3.Client, b, key, vid string) ([]byte, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: &vid})
	if err != nil {
		t.Fatalf("GetObject %s?versionId=%s: %v", key, vid, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, out
}

// TestVersioningSDK walks S3 versioning with aws-sdk-go-v2: state, version
// IDs on PUT, Copy and Complete, reads and deletes by version, delete
// markers, the null version, and their errors.
func TestVersioningSDK(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	key := "backups/full.xb"

	gv, err := c.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || gv.Status != "" {
		t.Fatalf("GetBucketVersioning of a new bucket: %v %q", err, gv.Status)
	}
	// Before versioning: the null version.
	v0 := Data(1, 1000)
	if out := put(t, c, b, key, v0); out.VersionId != nil {
		t.Errorf("unversioned PUT answered version %q", aws.ToString(out.VersionId))
	}
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	gv, err = c.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || gv.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning: %v %q", err, gv.Status)
	}
	v1, v2 := Data(2, 2000), Data(3, 3000)
	id1 := aws.ToString(put(t, c, b, key, v1).VersionId)
	id2 := aws.ToString(put(t, c, b, key, v2).VersionId)
	if id1 == "" || id2 == "" || id1 == id2 || id1 == "null" {
		t.Fatalf("version IDs %q %q", id1, id2)
	}
	if got := get(t, c, b, key); !bytes.Equal(got, v2) {
		t.Fatal("GET without versionId is not the latest version")
	}
	for vid, want := range map[string][]byte{"null": v0, id1: v1, id2: v2} {
		got, out := getVersion(t, c, b, key, vid)
		if !bytes.Equal(got, want) || aws.ToString(out.VersionId) != vid {
			t.Errorf("GET ?versionId=%s: %d bytes, version %q", vid, len(got), aws.ToString(out.VersionId))
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key, VersionId: aws.String(vid)})
		if err != nil || aws.ToInt64(h.ContentLength) != int64(len(want)) || aws.ToString(h.VersionId) != vid {
			t.Errorf("HEAD ?versionId=%s: %v", vid, err)
		}
	}
	// Errors: a version that does not exist, a malformed one.
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: aws.String("7fffffffffffffff0000000000000000")})
	wantAPIError(t, err, "NoSuchVersion", 404)
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: aws.String("not-a-version")})
	wantAPIError(t, err, "InvalidArgument", 400)

	// CopyObject from a version.
	cp, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/" + key + "?versionId=" + id1)})
	if err != nil {
		t.Fatalf("CopyObject from version: %v", err)
	}
	if aws.ToString(cp.CopySourceVersionId) != id1 || aws.ToString(cp.VersionId) == "" {
		t.Errorf("CopyObject versions: source %q, new %q", aws.ToString(cp.CopySourceVersionId), aws.ToString(cp.VersionId))
	}
	if got := get(t, c, b, "copy"); !bytes.Equal(got, v1) {
		t.Error("copy of a version has other bytes")
	}

	// DELETE makes a delete marker; GET answers 404 with the marker header.
	del, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("DELETE in a versioned bucket: %v %+v", err, del)
	}
	marker := aws.ToString(del.VersionId)
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key})
	wantAPIError(t, err, "NoSuchKey", 404)
	if h := respHeader(err); h.Get("x-amz-delete-marker") != "true" || h.Get("x-amz-version-id") != marker {
		t.Errorf("GET of a deleted key: headers %v", h)
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: &marker})
	wantAPIError(t, err, "MethodNotAllowed", 405)
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("c2"), CopySource: aws.String(b + "/" + key + "?versionId=" + marker)})
	wantAPIError(t, err, "InvalidRequest", 400)
	// ListObjects no longer shows the key; the versions are still there.
	lo, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("backups/")})
	if err != nil || len(lo.Contents) != 0 {
		t.Fatalf("ListObjectsV2 after delete: %v %d", err, len(lo.Contents))
	}
	lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b, Prefix: aws.String("backups/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.DeleteMarkers) != 1 || aws.ToString(lv.DeleteMarkers[0].VersionId) != marker || !aws.ToBool(lv.DeleteMarkers[0].IsLatest) {
		t.Errorf("delete markers: %+v", lv.DeleteMarkers)
	}
	var ids []string
	for _, v := range lv.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
		if aws.ToBool(v.IsLatest) {
			t.Errorf("version %s is latest under a marker", aws.ToString(v.VersionId))
		}
	}
	if want := []string{id2, id1, "null"}; !equalStrings(ids, want) {
		t.Errorf("versions %v, want newest first %v", ids, want)
	}
	// Deleting the marker by ID brings the key back.
	del, err = c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: &marker})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) != marker {
		t.Fatalf("DELETE of the marker: %v %+v", err, del)
	}
	if got := get(t, c, b, key); !bytes.Equal(got, v2) {
		t.Fatal("removing the marker did not restore the latest version")
	}
	// Deleting the current version by ID promotes the previous one.
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: &id2}); err != nil {
		t.Fatal(err)
	}
	if got, out := getVersion(t, c, b, key, id1); !bytes.Equal(got, v1) || aws.ToString(out.VersionId) != id1 {
		t.Fatal("version 1 unreadable after deleting version 2")
	}
	if got := get(t, c, b, key); !bytes.Equal(got, v1) {
		t.Fatal("deleting the current version did not make the previous one current")
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: &id2})
	wantAPIError(t, err, "NoSuchVersion", 404)

	// DeleteObjects with VersionId, and without (a marker).
	dob, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: &key, VersionId: aws.String("null")}, {Key: aws.String("copy")}}}})
	if err != nil || len(dob.Errors) != 0 || len(dob.Deleted) != 2 {
		t.Fatalf("DeleteObjects: %v %+v", err, dob)
	}
	for _, d := range dob.Deleted {
		if aws.ToString(d.Key) == "copy" && (!aws.ToBool(d.DeleteMarker) || aws.ToString(d.DeleteMarkerVersionId) == "") {
			t.Errorf("DeleteObjects without version made no marker: %+v", d)
		}
	}
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: aws.String("null")})
	wantAPIError(t, err, "NoSuchVersion", 404)

	// Suspended: writes are the null version, older versions stay. As in
	// S3, the PUT's answer names no version (x-amz-version-id absent).
	enableVersioning(t, c, b, types.BucketVersioningStatusSuspended)
	out := put(t, c, b, key, Data(9, 10))
	if out.VersionId != nil {
		t.Errorf("PUT in a suspended bucket: version %q, want no x-amz-version-id", aws.ToString(out.VersionId))
	}
	cp, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("suspended-copy"), CopySource: aws.String(b + "/" + key)})
	if err != nil || cp.VersionId != nil {
		t.Errorf("CopyObject in a suspended bucket: %v, version %q, want no x-amz-version-id", err, aws.ToString(cp.VersionId))
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("suspended-copy"), VersionId: aws.String("null")}); err != nil {
		t.Fatal(err)
	}
	put(t, c, b, key, Data(10, 11))
	if got, _ := getVersion(t, c, b, key, id1); !bytes.Equal(got, v1) {
		t.Error("suspending lost version 1")
	}
	if got, _ := getVersion(t, c, b, key, "null"); !bytes.Equal(got, Data(10, 11)) {
		t.Error("the null version is not the last null write")
	}
	lv, err = c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b, Prefix: &key})
	if err != nil || len(lv.Versions) != 2 {
		t.Fatalf("versions after suspended writes: %v %d, want null and version 1", err, len(lv.Versions))
	}

	// A bucket with versions is not empty; errors on PUT ?versioning.
	_, err = c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b})
	wantAPIError(t, err, "BucketNotEmpty", 409)
	_, err = c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: "On"}})
	wantAPIError(t, err, "MalformedXML", 400)
	_, err = c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String("no-such-bucket-v"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	wantAPIError(t, err, "NoSuchBucket", 404)
}

func respHeader(err error) http.Header {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header
	}
	return http.Header{}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
