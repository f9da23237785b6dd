package testharness

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"envelopegw/backend/posix"
	"envelopegw/envelope"
	"envelopegw/gateway"
)

// TestLifecycleRetainedBackup is the backup case end to end: a
// backup host under the ingest role writes into a bucket with Object Lock
// (default retention 1 day) and a lifecycle rule; it cannot delete or
// overwrite its backup. The serve process's janitor runs on the wall
// clock, so the lifecycle passes run in a second gateway process on the
// same volume (a gateway.Service with the serve process's keys) whose
// clock is set days ahead; the running gateway then shows, to the aws
// SDK, that the backup went only after its retention.
func TestLifecycleRetainedBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	admin := NewUser("admin", "admin")
	ingest := NewUser("db1", "ingest")
	ingest.Buckets = []string{"backups-*"}
	users := WriteUsersFile(t, filepath.Join(dir, "users.json"), admin, ingest)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ac := UserS3Client(t, g, admin, S3Options{})
	ic := UserS3Client(t, g, ingest, S3Options{})
	b := "backups-lc"
	if _, err := ac.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &b, ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(1)}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: &b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{
			{ID: aws.String("keep-1-day"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
				Expiration:                  &types.LifecycleExpiration{Days: aws.Int32(1)},
				NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1)}},
			{ID: aws.String("markers"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
				Expiration: &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)}},
		}}}); err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}

	key := "full-1/chunk-0001"
	backup := Data(7, 50000)
	out, err := ic.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(backup)})
	if err != nil {
		t.Fatalf("PUT as ingest: %v", err)
	}
	v1 := aws.ToString(out.VersionId)
	_, err = ic.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ic.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: &v1})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := ic.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(Data(8, 10))}); err == nil {
		t.Fatal("the ingest host overwrote a retained backup")
	}

	var clock time.Time // the lifecycle process's time
	s := sameVolumeService(t, g, func() time.Time { return clock })
	pass := func(at time.Time, want gateway.LifecycleCounts) {
		t.Helper()
		clock = at
		c, err := s.ApplyLifecycle(ctx(t), at)
		if err != nil || c != want {
			t.Fatalf("lifecycle pass at %s: %+v, %v; want %+v", at, c, err, want)
		}
	}
	start := time.Now()
	pass(start, gateway.LifecycleCounts{})
	// Two days on: the backup expires into a delete marker, still readable
	// by version; a day later it goes, and the marker left alone with it.
	pass(start.Add(48*time.Hour), gateway.LifecycleCounts{Expired: 1})
	if got, _ := getVersion(t, ac, b, key, v1); !bytes.Equal(got, backup) {
		t.Fatal("the expired backup is not readable by version")
	}
	pass(start.Add(96*time.Hour), gateway.LifecycleCounts{Expired: 2})
	lv, err := ac.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b})
	if err != nil || len(lv.Versions)+len(lv.DeleteMarkers) != 0 {
		t.Fatalf("versions left after the retention and the rule: %v %+v", err, lv)
	}
	_, err = ac.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: &v1})
	wantAPIError(t, err, "NoSuchVersion", 404)
}

// sameVolumeService opens, in the test process, a gateway on g's volume
// with g's keys and the given clock: a second gateway process, as
// several serve processes share a volume.
func sameVolumeService(t *testing.T, g *Gateway, now func() time.Time) *gateway.Service {
	t.Helper()
	be, err := posix.New(g.DataDir, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(g.IdentityFile)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := envelope.ParseIdentities(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err = os.Open(g.SigningKey)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := envelope.ParseSigningKeyFile(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	hexKey, err := os.ReadFile(filepath.Join(g.DataDir, ".envelopegw", "state.key"))
	if err != nil {
		t.Fatal(err)
	}
	stateKey, err := hex.DecodeString(string(bytes.TrimSpace(hexKey)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := gateway.New(gateway.Config{Backend: be, Identities: ids, SigningKey: sk, StateKey: stateKey, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
