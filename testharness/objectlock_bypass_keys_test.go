package testharness

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestBypassGovernancePerKey: s3:BypassGovernanceRetention is an object
// action, so DeleteObjects asks for it per key as DeleteObject does. An
// operator denied the bypass on protected/* cannot remove a retained
// version there through DeleteObjects, and one allowed the bypass on
// scratch/* only can remove a retained version there.
func TestBypassGovernancePerKey(t *testing.T) {
	t.Parallel()
	const b = "bypass-keys"
	admin := NewUser("admin", "admin")
	operator := NewUser("operator")
	operator.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Effect":"Deny","Action":"s3:BypassGovernanceRetention","Resource":"arn:aws:s3:::` + b + `/protected/*"}]}`)
	cleaner := NewUser("cleaner")
	cleaner.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObjectVersion"],"Resource":"arn:aws:s3:::` + b + `/*"},
		{"Effect":"Allow","Action":"s3:BypassGovernanceRetention","Resource":"arn:aws:s3:::` + b + `/scratch/*"}]}`)
	users := WriteUsersFile(t, filepath.Join(t.TempDir(), "users.json"), admin, operator, cleaner)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ac := UserS3Client(t, g, admin, S3Options{})
	oc := UserS3Client(t, g, operator, S3Options{})
	cc := UserS3Client(t, g, cleaner, S3Options{})

	if _, err := ac.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: aws.String(b), ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}},
	}}); err != nil {
		t.Fatal(err)
	}
	put := func(key string) string {
		out, err := ac.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(Data(7, 100))})
		if err != nil {
			t.Fatalf("PUT %s: %v", key, err)
		}
		return aws.ToString(out.VersionId)
	}
	deleteObjects := func(c *s3.Client, key, vid string) *s3.DeleteObjectsOutput {
		out, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), BypassGovernanceRetention: aws.Bool(true),
			Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String(key), VersionId: aws.String(vid)}}}})
		if err != nil {
			t.Fatalf("DeleteObjects %s: %v", key, err)
		}
		return out
	}

	pk := "protected/full-1"
	pv := put(pk)
	if out := deleteObjects(oc, pk, pv); len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Errorf("DeleteObjects with a bypass denied on the key: errors %+v, deleted %+v", out.Errors, out.Deleted)
	}
	if got, _ := getVersion(t, ac, b, pk, pv); !bytes.Equal(got, Data(7, 100)) {
		t.Fatal("the retained version under the denied bypass is gone")
	}

	sk := "scratch/tmp-1"
	sv := put(sk)
	if out := deleteObjects(cc, sk, sv); len(out.Errors) != 0 || len(out.Deleted) != 1 {
		t.Errorf("DeleteObjects with a bypass allowed on the key: errors %+v, deleted %+v", out.Errors, out.Deleted)
	}
	// The same user, on a key outside its bypass grant, is refused.
	ok := "other/x"
	ov := put(ok)
	if out := deleteObjects(cc, ok, ov); len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Errorf("DeleteObjects outside the bypass grant: errors %+v, deleted %+v", out.Errors, out.Deleted)
	}
}
