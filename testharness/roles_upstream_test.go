package testharness

import (
	"bytes"
	"fmt"
	"path/filepath"
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
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				_, errs[w] = admins[w%2].PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: &key,
					Body: bytes.NewReader(Data(uint64(100*k+w), 32<<10)), IfNoneMatch: aws.String("*")})
			})
		}
		close(start)
		wg.Wait()
		winners := 0
		winner := -1
		for w, err := range errs {
			if err == nil {
				winners, winner = winners+1, w
				continue
			}
			wantAPIError(t, err, "PreconditionFailed", 412)
		}
		if winners != 1 {
			t.Fatalf("%s: %d create-only writers won, want 1", key, winners)
		}
		for _, c := range admins {
			if got := get(t, c, b, key); !bytes.Equal(got, Data(uint64(100*k+winner), 32<<10)) {
				t.Fatalf("%s: the object is not the winner's", key)
			}
		}
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
