package testharness

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestObjectLockBackups: a backup bucket with Object Lock and a default
// retention of 3 days. The backup host (ingest role) uploads; neither it
// nor an operator without s3:BypassGovernanceRetention can delete a
// retained version, an overwrite makes a new version and keeps the old
// one readable, COMPLIANCE retention cannot be shortened by the admin,
// a legal hold blocks even a bypass, and every refusal is the S3 one.
func TestObjectLockBackups(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	admin := NewUser("admin", "admin")
	ingest := NewUser("db1", "ingest")
	ingest.Buckets = []string{"backups-*"}
	restore := NewUser("restorer", "restore")
	operator := NewUser("operator")
	operator.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Effect":"Deny","Action":"s3:BypassGovernanceRetention","Resource":"*"}]}`)
	users := WriteUsersFile(t, filepath.Join(dir, "users.json"), admin, ingest, restore, operator)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ac := UserS3Client(t, g, admin, S3Options{})
	ic := UserS3Client(t, g, ingest, S3Options{})
	rc := UserS3Client(t, g, restore, S3Options{})
	oc := UserS3Client(t, g, operator, S3Options{})
	b := "backups-lock"

	if _, err := ac.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatalf("CreateBucket with Object Lock: %v", err)
	}
	gv, err := ac.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || gv.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("an Object Lock bucket is versioned: %v %q", err, gv.Status)
	}
	_, err = ac.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	wantAPIError(t, err, "InvalidBucketState", 409)
	if _, err := ac.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &b, ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(3)}},
	}}); err != nil {
		t.Fatalf("PutObjectLockConfiguration: %v", err)
	}
	lc, err := ac.GetObjectLockConfiguration(ctx(t), &s3.GetObjectLockConfigurationInput{Bucket: &b})
	if err != nil || lc.ObjectLockConfiguration.Rule == nil || aws.ToInt32(lc.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 3 ||
		lc.ObjectLockConfiguration.Rule.DefaultRetention.Mode != types.ObjectLockRetentionModeGovernance {
		t.Fatalf("GetObjectLockConfiguration: %v %+v", err, lc)
	}

	// The backup host uploads; the default retention applies.
	key := "full-1/chunk-0001"
	backup := Data(1, 100000)
	out, err := ic.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(backup)})
	if err != nil {
		t.Fatalf("PUT as ingest: %v", err)
	}
	v1 := aws.ToString(out.VersionId)
	h, err := ac.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
	if err != nil || h.ObjectLockMode != types.ObjectLockModeGovernance || h.ObjectLockRetainUntilDate == nil ||
		h.ObjectLockRetainUntilDate.Before(time.Now().Add(71*time.Hour)) {
		t.Fatalf("HEAD of a retained backup: %v %+v", err, h)
	}
	// Its own DELETE, with and without a version, and an overwrite fail.
	_, err = ic.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ic.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: &v1, BypassGovernanceRetention: aws.Bool(true)})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ic.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(Data(2, 10))})
	if err == nil {
		t.Fatal("the ingest host overwrote a retained backup")
	}
	// An operator with every right but the bypass cannot remove it either,
	// with or without asking for the bypass.
	for _, bypass := range []bool{false, true} {
		_, err = oc.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: &v1, BypassGovernanceRetention: aws.Bool(bypass)})
		wantAPIError(t, err, "AccessDenied", 403)
		if !strings.Contains(err.Error(), "object protected by object lock") {
			t.Errorf("refusal without the retention message: %v", err)
		}
	}
	do, err := oc.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: &key, VersionId: &v1}}}})
	if err != nil || len(do.Errors) != 1 || aws.ToString(do.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects of a retained version: %v %+v", err, do)
	}
	_, err = oc.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: &b, Key: &key, VersionId: &v1,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(time.Now().Add(time.Hour))}})
	wantAPIError(t, err, "AccessDenied", 403)
	// An overwrite by the operator is a new version; the backup stays.
	out2, err := oc.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(Data(3, 50))})
	if err != nil || aws.ToString(out2.VersionId) == v1 {
		t.Fatalf("overwrite in a locked bucket: %v", err)
	}
	if got, _ := getVersion(t, rc, b, key, v1); !bytes.Equal(got, backup) {
		t.Fatal("the retained backup is not readable after the overwrite")
	}
	// A DELETE without a version is a delete marker; the backup stays.
	if _, err := oc.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key}); err != nil {
		t.Fatalf("DELETE (a marker) in a locked bucket: %v", err)
	}
	if got, _ := getVersion(t, rc, b, key, v1); !bytes.Equal(got, backup) {
		t.Fatal("the retained backup is not readable after a DELETE")
	}

	// COMPLIANCE (here through a multipart upload's headers): nobody
	// shortens or removes it, the admin with the bypass included.
	ck := "full-2/chunk"
	until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	cr, err := ac.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &ck,
		ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &until})
	if err != nil {
		t.Fatal(err)
	}
	part := uploadPart(t, ac, b, ck, aws.ToString(cr.UploadId), 1, Data(4, 1000), "")
	co, err := ac.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &ck, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{part}}})
	if err != nil {
		t.Fatal(err)
	}
	cv := aws.ToString(co.VersionId)
	gr, err := ac.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &b, Key: &ck, VersionId: &cv})
	if err != nil || gr.Retention.Mode != types.ObjectLockRetentionModeCompliance || !gr.Retention.RetainUntilDate.Equal(until) {
		t.Fatalf("GetObjectRetention: %v %+v", err, gr)
	}
	_, err = ac.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: &b, Key: &ck, VersionId: &cv, BypassGovernanceRetention: aws.Bool(true),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(-time.Hour))}})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ac.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: &b, Key: &ck, VersionId: &cv, BypassGovernanceRetention: aws.Bool(true),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: aws.Time(until.Add(time.Hour))}})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ac.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &ck, VersionId: &cv, BypassGovernanceRetention: aws.Bool(true)})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := ac.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: &b, Key: &ck, VersionId: &cv,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until.Add(24 * time.Hour))}}); err != nil {
		t.Fatalf("extending COMPLIANCE retention: %v", err)
	}

	// GOVERNANCE yields to the admin's bypass, but not while a legal hold is on.
	if _, err := ac.PutObjectLegalHold(ctx(t), &s3.PutObjectLegalHoldInput{Bucket: &b, Key: &key, VersionId: &v1,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
		t.Fatal(err)
	}
	lh, err := ac.GetObjectLegalHold(ctx(t), &s3.GetObjectLegalHoldInput{Bucket: &b, Key: &key, VersionId: &v1})
	if err != nil || lh.LegalHold.Status != types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("GetObjectLegalHold: %v", err)
	}
	_, err = ac.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: &v1, BypassGovernanceRetention: aws.Bool(true)})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := ac.PutObjectLegalHold(ctx(t), &s3.PutObjectLegalHoldInput{Bucket: &b, Key: &key, VersionId: &v1,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: &v1, BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("admin bypass of GOVERNANCE: %v", err)
	}
	_, err = ac.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, VersionId: &v1})
	wantAPIError(t, err, "NoSuchVersion", 404)

	// Errors as S3 answers them.
	plain := newBucket(t, ac)
	_, err = ac.GetObjectLockConfiguration(ctx(t), &s3.GetObjectLockConfigurationInput{Bucket: &plain})
	wantAPIError(t, err, "ObjectLockConfigurationNotFoundError", 404)
	_, err = ac.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &plain, ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	wantAPIError(t, err, "InvalidBucketState", 409)
	_, err = ac.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &plain, Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour))})
	wantAPIError(t, err, "InvalidRequest", 400)
	_, err = ac.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(-time.Hour))})
	wantAPIError(t, err, "InvalidArgument", 400)
	_, err = ac.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
		ObjectLockMode: "FOREVER", ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour))})
	wantAPIError(t, err, "InvalidArgument", 400)
	_, err = ac.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &b, ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(-1)}}}})
	wantAPIError(t, err, "InvalidArgument", 400)
	put(t, ac, plain, "k", []byte("x"))
	_, err = ac.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &plain, Key: aws.String("k")})
	wantAPIError(t, err, "InvalidRequest", 400)

	// The aws CLI sees the same configuration and retention.
	cli := UserAWSCLI(t, g, admin)
	o, err := cli("s3api", "get-object-lock-configuration", "--bucket", b)
	if err != nil || !strings.Contains(string(o), `"GOVERNANCE"`) || !strings.Contains(string(o), `"Days": 3`) {
		t.Fatalf("aws s3api get-object-lock-configuration: %v %s", err, o)
	}
	o, err = cli("s3api", "get-object-retention", "--bucket", b, "--key", ck, "--version-id", cv)
	if err != nil || !strings.Contains(string(o), `"COMPLIANCE"`) {
		t.Fatalf("aws s3api get-object-retention: %v %s", err, o)
	}
	if o, err := cli("s3api", "delete-object", "--bucket", b, "--key", ck, "--version-id", cv, "--bypass-governance-retention"); err == nil || !strings.Contains(string(err.Error()), "AccessDenied") {
		t.Fatalf("aws s3api delete-object of a COMPLIANCE version: %v %s", err, o)
	}
	o, err = cli("s3api", "list-object-versions", "--bucket", b, "--prefix", "full-1/")
	if err != nil || !strings.Contains(string(o), `"DeleteMarkers"`) || !strings.Contains(string(o), `"Versions"`) {
		t.Fatalf("aws s3api list-object-versions: %v %s", err, o)
	}
}

// TestCreateLockBucketNeedsLockRights: creating a bucket with Object Lock
// also configures the lock and versioning, so, as in IAM, s3:CreateBucket
// alone is not enough.
func TestCreateLockBucketNeedsLockRights(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ingest := NewUser("db1", "ingest")
	ingest.Buckets = []string{"backups-*"}
	owner := NewUser("owner")
	owner.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["s3:CreateBucket","s3:PutBucketObjectLockConfiguration","s3:PutBucketVersioning"],"Resource":"*"}]}`)
	users := WriteUsersFile(t, filepath.Join(dir, "users.json"), ingest, owner)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ic := UserS3Client(t, g, ingest, S3Options{})
	oc := UserS3Client(t, g, owner, S3Options{})

	_, err := ic.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("backups-locked"), ObjectLockEnabledForBucket: aws.Bool(true)})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := ic.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("backups-plain")}); err != nil {
		t.Fatalf("ingest CreateBucket without Object Lock: %v", err)
	}
	if _, err := oc.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("backups-locked"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatalf("CreateBucket with Object Lock and the rights it needs: %v", err)
	}
}
