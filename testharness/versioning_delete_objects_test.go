package testharness

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestVersionedDeleteObjectsResult: DeleteObjects in a versioned bucket
// answers each key as S3 documents DeletedObject: a version removed by ID
// says DeleteMarker false; a delete marker made says true with the
// marker's version in DeleteMarkerVersionId; a marker removed by ID says
// true with its version in both VersionId and DeleteMarkerVersionId.
func TestVersionedDeleteObjectsResult(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	vids := map[string]string{}
	for _, k := range []string{"foo", "bar"} {
		out, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String(k), Body: bytes.NewReader([]byte(k))})
		if err != nil {
			t.Fatal(err)
		}
		vids[k] = aws.ToString(out.VersionId)
	}
	del := func(objs ...types.ObjectIdentifier) []types.DeletedObject {
		t.Helper()
		out, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: objs}})
		if err != nil || len(out.Errors) != 0 || len(out.Deleted) != len(objs) {
			t.Fatalf("DeleteObjects: %v %+v", err, out)
		}
		return out.Deleted
	}
	type want struct {
		key, vid, dmVid string
		dm              *bool
	}
	check := func(got []types.DeletedObject, wants ...want) {
		t.Helper()
		for i, w := range wants {
			d := got[i]
			if aws.ToString(d.Key) != w.key || aws.ToString(d.VersionId) != w.vid || aws.ToString(d.DeleteMarkerVersionId) != w.dmVid ||
				(d.DeleteMarker == nil) != (w.dm == nil) || w.dm != nil && *d.DeleteMarker != *w.dm {
				t.Errorf("Deleted[%d] = {Key %q VersionId %q DeleteMarker %v DeleteMarkerVersionId %q}, want {%q %q %v %q}", i,
					aws.ToString(d.Key), aws.ToString(d.VersionId), fmtBoolPtr(d.DeleteMarker), aws.ToString(d.DeleteMarkerVersionId),
					w.key, w.vid, fmtBoolPtr(w.dm), w.dmVid)
			}
		}
	}
	got := del(types.ObjectIdentifier{Key: aws.String("foo"), VersionId: aws.String(vids["foo"])}, types.ObjectIdentifier{Key: aws.String("bar")})
	marker := aws.ToString(got[1].DeleteMarkerVersionId)
	if marker == "" || marker == vids["bar"] {
		t.Fatalf("delete marker version %q", marker)
	}
	check(got, want{"foo", vids["foo"], "", aws.Bool(false)}, want{"bar", "", marker, aws.Bool(true)})
	got = del(types.ObjectIdentifier{Key: aws.String("bar"), VersionId: &marker})
	check(got, want{"bar", marker, marker, aws.Bool(true)})
}

func fmtBoolPtr(b *bool) string {
	if b == nil {
		return "<none>"
	}
	if *b {
		return "true"
	}
	return "false"
}
