package testharness

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestRewrapVersions: in a versioned bucket every overwrite keeps the old
// backup as a noncurrent version, sealed to the keys of its day. A rewrap
// of a prefix, and of the whole bucket, re-seals those versions too: no
// version of a rewrapped key still opens with the removed key.
func TestRewrapVersions(t *testing.T) {
	t.Parallel()
	const bucket = "rot-ver"
	rot := newRotation(t)
	oldID, newID := rot.oldID, rot.newID
	g := Start(t, Options{NoFsync: true, Args: rot.gatewayArgs()})
	c := S3Client(t, g, S3Options{})
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	enableVersioning(t, c, bucket, types.BucketVersioningStatusEnabled)
	keys := []string{"db/a", "db/b", "other/c"}
	body := func(key string, v int) []byte { return []byte(strings.Repeat(key, v+1)) }
	for v := range 3 {
		for _, k := range keys {
			put(t, c, bucket, k, body(k, v))
		}
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("db/b")}); err != nil {
		t.Fatal(err) // a delete marker: current, with three versions behind it
	}
	oldKeyID := keyIDsHeader(t, g, bucket, "db/a")
	rot.sealTo(t, newID)
	g.Reload("keyring reloaded")

	newHost := Start(t, Options{NoFsync: true, Share: g, IngestOnly: true, Args: []string{"--identity", newID}})
	oldHost := Start(t, Options{NoFsync: true, Share: g, IngestOnly: true, Args: []string{"--identity", oldID}})
	cn, co := S3Client(t, newHost, S3Options{}), S3Client(t, oldHost, S3Options{})
	// check reads every version of the keys under prefix (want of them)
	// with the new key and with the removed one: wantNew and wantOld open.
	check := func(prefix string, want, wantNew, wantOld int) {
		t.Helper()
		lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		opens := func(cl *s3.Client, v types.ObjectVersion) int {
			out, err := cl.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId})
			if err != nil {
				wantAPIError(t, err, "AccessDenied", 403)
				return 0
			}
			out.Body.Close()
			return 1
		}
		nw, old := 0, 0
		for _, v := range lv.Versions {
			nw += opens(cn, v)
			old += opens(co, v)
		}
		if len(lv.Versions) != want || nw != wantNew || old != wantOld {
			t.Errorf("%q: %d versions, %d open with the new key, %d with the removed key; want %d, %d and %d",
				prefix, len(lv.Versions), nw, old, want, wantNew, wantOld)
		}
	}
	rewrap := func(target string) string {
		t.Helper()
		out, err := Command(t, "rewrap", "--data", g.DataDir, "--signing-key", g.SigningKey, "--signer", g.SignerFile,
			"-i", oldID, "-r", newID+".pub", "--remove", oldKeyID, target).CombinedOutput()
		if err != nil {
			t.Fatalf("rewrap %s: %v\n%s", target, err, out)
		}
		return summaryLine(out)
	}
	if lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)}); err != nil || len(lv.Versions) != 9 || len(lv.DeleteMarkers) != 1 {
		t.Fatalf("before the rewrap: %v %+v", err, lv)
	}
	t.Logf("rewrap %s/db/: %s", bucket, rewrap(bucket+"/db/"))
	check("db/", 6, 6, 0)
	check("other/", 3, 0, 3) // outside the prefix: left as it was
	dry, err := Command(t, "rewrap", "--dry-run", "--data", g.DataDir, "--signer", g.SignerFile, "-i", oldID, "-r", newID+".pub", "--remove", oldKeyID, bucket+"/other/").CombinedOutput()
	if err != nil || strings.Count(string(dry), "(version ") != 2 || bytes.Contains(dry, []byte{0}) {
		t.Errorf("dry run of other/: %v\n%s", err, dry)
	}
	t.Logf("rewrap %s: %s", bucket, rewrap(bucket))
	check("", 9, 9, 0)
	if got := get(t, cn, bucket, "db/a"); !bytes.Equal(got, body("db/a", 2)) {
		t.Errorf("db/a: %q", got)
	}
}
