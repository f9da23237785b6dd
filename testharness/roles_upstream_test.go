package testharness

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"envelopegw/backend/s3/s3test"
)

// TestRolesUpstream: users, policies and the per-bucket keyring work the
// same with `serve --upstream` as on a volume. Two gateways share one
// MinIO prefix: an ingest user creates through one and can neither
// overwrite (through either), read, copy out nor delete; create-only
// writers racing through both gateways have exactly one winner per key;
// a restore user reads; a team's bucket is sealed to the team's key, which
// only a restore host holding that key opens.
func TestRolesUpstream(t *testing.T) {
	t.Parallel()
	srv := s3test.SharedMinIO(t)
	dir := t.TempDir()
	ingest := NewUser("db1", "ingest")
	ingest.Buckets = []string{"backups-*"}
	restore := NewUser("dba", "restore")
	users := WriteUsersFile(t, filepath.Join(dir, "users.json"), ingest, restore)
	teamID := filepath.Join(dir, "team-a.key")
	Keygen(t, teamID)
	ring := filepath.Join(dir, "keyring.json")
	WriteFileAtomic(t, ring, []byte(`{"buckets": [{"bucket": "team-a-*", "recipients": ["`+teamID+`.pub"]}]}`), 0o644)
	args := []string{"--users", users, "--keyring", ring}
	g1 := Start(t, Options{Upstream: srv, Args: args})
	g2 := Start(t, Options{Upstream: srv, Share: g1, Args: args})

	// The ingest role: create, retry identically, nothing else.
	i1, i2 := UserS3Client(t, g1, ingest, S3Options{}), UserS3Client(t, g2, ingest, S3Options{})
	const b = "backups-up"
	if _, err := i1.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket as ingest: %v", err)
	}
	orig := Data(31, 300_000)
	for _, c := range []*s3.Client{i1, i2} { // a retry may reach the other gateway
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("full-1"), Body: bytes.NewReader(orig)}); err != nil {
			t.Fatalf("PUT (or identical retry) as ingest: %v", err)
		}
	}
	for _, c := range []*s3.Client{i1, i2} {
		_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("full-1"), Body: bytes.NewReader(Data(32, 1000))})
		wantAPIError(t, err, "AccessDenied", 403)
	}
	_, err := i1.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("full-1")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = i2.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("full-1")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = i1.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("out"), CopySource: aws.String(b + "/full-1")})
	wantAPIError(t, err, "AccessDenied", 403)
	do, err := i1.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("full-1")}}}})
	if err != nil || len(do.Deleted) != 0 || len(do.Errors) != 1 || aws.ToString(do.Errors[0].Code) != "AccessDenied" {
		t.Errorf("DeleteObjects as ingest: %v %+v", err, do)
	}
	if got := get(t, UserS3Client(t, g2, restore, S3Options{}), b, "full-1"); !bytes.Equal(got, orig) {
		t.Errorf("the restore user reads %d bytes that differ", len(got))
	}

	// Create-only writers race through both gateways: one winner per key.
	admins := []*s3.Client{S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})}
	const keys, writers = 4, 6
	for k := range keys {
		key := fmt.Sprintf("race/%d", k)
		body := func(w int) []byte { return Data(uint64(100*k+w), 32<<10) }
		errs := atOnce(writers, func(w int) error {
			_, err := admins[w%2].PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: &key,
				Body: bytes.NewReader(body(w)), IfNoneMatch: aws.String("*")})
			return err
		})
		oneCreateWon(t, admins, b, key, errs, body)
	}

	// The keyring: team A's bucket is sealed to team A's key alone.
	const tb = "team-a-db"
	if _, err := admins[0].CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(tb)}); err != nil {
		t.Fatal(err)
	}
	secret := bytes.Repeat([]byte("team a's backup "), 32) // noPlaintextUpstream looks for 256 bytes
	put(t, admins[0], tb, "backup", secret)
	ids := keyIDsHeader(t, g1, tb, "backup")
	if ids == "" || ids == keyIDsHeader(t, g1, b, "full-1") {
		t.Errorf("team a's object is sealed to %q, as the default recipient's object", ids)
	}
	_, err = admins[1].GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(tb), Key: aws.String("backup")})
	wantAPIError(t, err, "AccessDenied", 403) // g2 holds only the default identity
	teamHost := Start(t, Options{Upstream: srv, Share: g1, IngestOnly: true, Args: []string{"--identity", teamID}})
	if got := get(t, S3Client(t, teamHost, S3Options{}), tb, "backup"); !bytes.Equal(got, secret) {
		t.Errorf("team a's restore host reads %q", got)
	}
	noPlaintextUpstream(t, srv, g1.UpstreamPrefix+"/", orig[:4096], secret)
	if !g1.AwaitLog("decision=deny") || !g2.AwaitLog("user=db1") {
		t.Error("the refusals are not in the audit log")
	}
}

// TestRewrapUpstream: `rewrap --upstream` rotates the keys of a bucket a
// gateway keeps on MinIO, single-part and multipart objects alike. A run
// over a prefix and then over the whole bucket shows that work already
// done is skipped (how a rerun after a crash resumes); afterwards every
// object opens with the new key alone and none with the removed one.
func TestRewrapUpstream(t *testing.T) {
	t.Parallel()
	srv := s3test.SharedMinIO(t)
	const n, bucket = 120, "rot-up"
	rot := newRotation(t)
	oldID, newID := rot.oldID, rot.newID
	g := Start(t, Options{Upstream: srv, Args: rot.gatewayArgs()})
	c := S3Client(t, g, S3Options{})
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	parallelDo(t, n, 8, func(i int) { put(t, c, bucket, rewrapKey(i), rewrapContent(i, 0)) })
	const mpKey = "db/mp/big"
	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(mpKey)})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{Data(41, 5*mib), Data(42, 4321)}
	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, uploadPart(t, c, bucket, mpKey, aws.ToString(cr.UploadId), int32(i+1), p, ""))
	}
	if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(mpKey),
		UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	mpWant := bytes.Join(parts, nil)
	oldKeyID := keyIDsHeader(t, g, bucket, rewrapKey(0))
	rot.sealTo(t, newID)
	g.Reload("keyring reloaded")

	rewrap := func(target string, extra ...string) string {
		t.Helper()
		args := append([]string{"rewrap", "--upstream", g.UpstreamURL(), "--upstream-style", "path", "--signing-key", g.SigningKey,
			"--signer", g.SignerFile, "-i", oldID, "-r", newID + ".pub", "--remove", oldKeyID, "-j", "4"}, extra...)
		cmd := Command(t, append(args, target)...)
		cmd.Env = append(cmd.Env, g.UpstreamEnv()...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("rewrap --upstream %s: %v\n%s", target, err, out)
		}
		return summaryLine(out)
	}
	// db/00/ holds objects 0, 50 and 100.
	for _, c := range []struct{ target, want string }{
		{bucket + "/db/00/", "rewrapped 3, skipped 0 (already sealed as wanted), failed 0, of 3 objects"},
		{bucket, fmt.Sprintf("rewrapped %d, skipped 3 (already sealed as wanted), failed 0, of %d objects", n+1-3, n+1)},
		{bucket, fmt.Sprintf("rewrapped 0, skipped %d", n+1)},
	} {
		if got := rewrap(c.target); !strings.Contains(got, c.want) {
			t.Errorf("rewrap %s: %s, want ...%s...", c.target, got, c.want)
		}
	}
	if got := rewrap(bucket, "--dry-run"); !strings.Contains(got, "would rewrap 0,") {
		t.Errorf("dry run after the rotation: %s", got)
	}

	newHost := Start(t, Options{Upstream: srv, Share: g, IngestOnly: true, Args: []string{"--identity", newID}})
	oldHost := Start(t, Options{Upstream: srv, Share: g, IngestOnly: true, Args: []string{"--identity", oldID}})
	cn, co := S3Client(t, newHost, S3Options{}), S3Client(t, oldHost, S3Options{})
	if got := get(t, cn, bucket, mpKey); !bytes.Equal(got, mpWant) {
		t.Errorf("multipart object after the rewrap: %d bytes that differ", len(got))
	}
	var mu sync.Mutex
	opened := 0
	parallelDo(t, n, 8, func(i int) {
		if got := get(t, cn, bucket, rewrapKey(i)); !bytes.Equal(got, rewrapContent(i, 0)) {
			t.Errorf("%s: %q", rewrapKey(i), got)
		}
		if _, err := co.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(rewrapKey(i))}); err == nil {
			mu.Lock()
			opened++
			mu.Unlock()
		}
	})
	_, err = co.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(mpKey)})
	wantAPIError(t, err, "AccessDenied", 403)
	if opened != 0 {
		t.Errorf("the removed key still opens %d objects", opened)
	}
}
