package testharness

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// keyIDsHeader is the x-envelopegw-key-ids header of a HEAD by g's admin.
func keyIDsHeader(t *testing.T, g *Gateway, bucket, key string) string {
	t.Helper()
	resp, _ := rawDo(t, g, signed(t, g, "HEAD", "/"+bucket+"/"+key, nil, nil, "", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("HEAD %s/%s: %d", bucket, key, resp.StatusCode)
	}
	return resp.Header.Get("x-envelopegw-key-ids")
}

// inspectObject runs `envelopegw inspect --data` on g's volume.
func inspectObject(t *testing.T, g *Gateway, bucket, key string) string {
	t.Helper()
	out, err := Command(t, "inspect", "--data", g.DataDir, bucket+"/"+key).CombinedOutput()
	if err != nil {
		t.Fatalf("inspect --data: %v\n%s", err, out)
	}
	return string(out)
}

// TestPerBucketKeys: two buckets sealed to two keyrings. Each restore host,
// a gateway on the same volume holding only its team's identity, reads
// its own bucket and not the other; HEAD shows admins which key IDs open
// an object; a keyring reloaded on SIGHUP applies to new objects.
func TestPerBucketKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	idA, idB, idC := filepath.Join(dir, "team-a.key"), filepath.Join(dir, "team-b.key"), filepath.Join(dir, "team-c.key")
	Keygen(t, idA)
	Keygen(t, idB)
	Keygen(t, idC)
	ring := filepath.Join(dir, "keyring.json")
	writeRing := func(b string) {
		WriteFileAtomic(t, ring, []byte(`{"buckets": [
  {"bucket": "team-a-*", "recipients": ["`+idA+`.pub"]},
  {"bucket": "team-b-*", "recipients": ["`+b+`.pub"]}
]}`), 0o644)
	}
	writeRing(idB)
	g := Start(t, Options{NoFsync: true, Args: []string{"--keyring", ring}})
	admin := S3Client(t, g, S3Options{})
	for _, b := range []string{"team-a-db", "team-b-db", "other"} {
		if _, err := admin.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: strPtr(b)}); err != nil {
			t.Fatal(err)
		}
		put(t, admin, b, "backup", []byte("secret of "+b))
	}
	restoreHost := func(id string) *s3.Client {
		h := Start(t, Options{NoFsync: true, Share: g, IngestOnly: true, Args: []string{"--identity", id}})
		return S3Client(t, h, S3Options{})
	}
	a, b := restoreHost(idA), restoreHost(idB)
	if got := get(t, a, "team-a-db", "backup"); string(got) != "secret of team-a-db" {
		t.Errorf("team a restore: %q", got)
	}
	if got := get(t, b, "team-b-db", "backup"); string(got) != "secret of team-b-db" {
		t.Errorf("team b restore: %q", got)
	}
	for _, c := range []struct {
		cl     *s3.Client
		bucket string
	}{{a, "team-b-db"}, {b, "team-a-db"}, {a, "other"}, {b, "other"}} {
		_, err := c.cl.GetObject(ctx(t), &s3.GetObjectInput{Bucket: strPtr(c.bucket), Key: strPtr("backup")})
		wantAPIError(t, err, "AccessDenied", 403)
	}

	// Admins see which keys open an object; the IDs are the recipients'.
	idsA := keyIDsHeader(t, g, "team-a-db", "backup")
	idsB := keyIDsHeader(t, g, "team-b-db", "backup")
	idsOther := keyIDsHeader(t, g, "other", "backup")
	if idsA == "" || idsB == "" || idsA == idsB || idsOther == idsA || idsOther == idsB || strings.Contains(idsA, ",") {
		t.Errorf("key IDs: team-a %q, team-b %q, other %q", idsA, idsB, idsOther)
	}
	inspect := inspectObject(t, g, "team-a-db", "backup")
	if !strings.Contains(inspect, idsA) {
		t.Errorf("inspect does not show %s:\n%s", idsA, inspect)
	}

	// Team b gets a new key; new objects use it at once.
	writeRing(idC)
	g.Reload("keyring reloaded")
	put(t, admin, "team-b-db", "after", []byte("new key"))
	if got := keyIDsHeader(t, g, "team-b-db", "after"); got == idsB || got == "" {
		t.Errorf("after the reload team b's new object is sealed to %q (old key %q)", got, idsB)
	}
	c := restoreHost(idC)
	if got := get(t, c, "team-b-db", "after"); !bytes.Equal(got, []byte("new key")) {
		t.Errorf("team c restore: %q", got)
	}
	WriteFileAtomic(t, ring, []byte(`{"buckets": [{"bucket": "team-a-*", "recipients": ["nonsense"]}]}`), 0o644)
	g.Reload("reload failed")
	put(t, admin, "team-a-db", "still", []byte("x"))
	if got := keyIDsHeader(t, g, "team-a-db", "still"); got != idsA {
		t.Errorf("after a failed reload team a's object is sealed to %q, want %q", got, idsA)
	}
	os.Remove(ring)
}
