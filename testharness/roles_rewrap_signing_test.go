package testharness

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestRewrapTeamSigningKey: a team's bucket is sealed to the team's key
// and signed with the team's signing key (keyring signing_key); its
// restore host trusts only that signer. Rotated with rewrap --signing-key
// of the team, the objects open on the restore host with the new key;
// re-signed with another signing key they are refused there.
func TestRewrapTeamSigningKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	oldID, newID := filepath.Join(dir, "team-a.key"), filepath.Join(dir, "team-a-2027.key")
	Keygen(t, oldID)
	Keygen(t, newID)
	teamSign := filepath.Join(dir, "team-a.sign")
	teamSigner := KeygenSign(t, teamSign)
	ring := filepath.Join(dir, "keyring.json")
	setRing := func(id string) {
		WriteFileAtomic(t, ring, []byte(`{"buckets": [{"bucket": "team-a-*", "recipients": ["`+id+`.pub"], "signing_key": "`+teamSign+`"}]}`), 0o644)
	}
	setRing(oldID)
	g := Start(t, Options{NoFsync: true, Args: []string{"--keyring", ring}})
	c := S3Client(t, g, S3Options{})
	const b = "team-a-db"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	body := func(k string) []byte { return bytes.Repeat([]byte(k), 1000) }
	for _, k := range []string{"full-1", "full-2"} {
		put(t, c, b, k, body(k))
	}
	oldKeyID := keyIDsHeader(t, g, b, "full-1")
	setRing(newID)
	g.Reload("keyring reloaded")

	// The restore host: team A's private key, team A's signer only (its
	// own signing key is a fresh one that signed nothing here).
	restoreHost := func(id string) *s3.Client {
		own := filepath.Join(t.TempDir(), "restore.sign")
		KeygenSign(t, own)
		h := Start(t, Options{NoFsync: true, Share: g, IngestOnly: true,
			Args: []string{"--identity", id, "--signing-key", own, "--signer", teamSigner}})
		return S3Client(t, h, S3Options{})
	}
	if got := get(t, restoreHost(oldID), b, "full-1"); !bytes.Equal(got, body("full-1")) {
		t.Fatalf("team a's restore host before the rotation: %d bytes that differ", len(got))
	}
	rewrap := func(signingKey, key string) {
		t.Helper()
		out, err := Command(t, "rewrap", "--data", g.DataDir, "--signing-key", signingKey, "--signer", teamSigner,
			"-i", oldID, "-r", newID+".pub", "--remove", oldKeyID, b+"/"+key).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "rewrapped 1,") {
			t.Fatalf("rewrap %s: %v\n%s", key, err, out)
		}
	}
	rewrap(teamSign, "full-1")
	rewrap(g.SigningKey, "full-2") // the gateway's main key, not the team's
	r := restoreHost(newID)
	if got := get(t, r, b, "full-1"); !bytes.Equal(got, body("full-1")) {
		t.Errorf("full-1, re-signed by the team's key: %d bytes that differ", len(got))
	}
	if out, err := r.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("full-2")}); err == nil {
		out.Body.Close()
		t.Error("the team's restore host served an object signed by another key")
	}
}
