package testharness

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestGetObjectAttributesPolicies: GetObjectAttributes is authorized as in
// AWS, with s3:GetObjectAttributes and s3:GetObject (for a named version
// s3:GetObjectVersionAttributes and s3:GetObjectVersion), so neither
// right alone reveals an object's attributes; the restore role has them.
func TestGetObjectAttributesPolicies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	admin := NewUser("admin", "admin")
	restore := NewUser("restorer", "restore")
	attrsOnly := NewUser("attrs-only")
	attrsOnly.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObjectAttributes","s3:GetObjectVersionAttributes"],"Resource":"*"}]}`)
	readOnly := NewUser("read-only")
	readOnly.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"*"}]}`)
	current := NewUser("current-only")
	current.Policy = json.RawMessage(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectAttributes"],"Resource":"*"}]}`)
	users := WriteUsersFile(t, filepath.Join(dir, "users.json"), admin, restore, attrsOnly, readOnly, current)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ac := UserS3Client(t, g, admin, S3Options{})
	b := newBucket(t, ac)
	enableVersioning(t, ac, b, types.BucketVersioningStatusEnabled)
	v := put(t, ac, b, "obj", []byte("attributes under policy"))

	try := func(u User, vid *string) error {
		_, err := UserS3Client(t, g, u, S3Options{}).GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{
			Bucket: &b, Key: aws.String("obj"), VersionId: vid, ObjectAttributes: allObjectAttributes})
		return err
	}
	for _, u := range []User{admin, restore, current} {
		if err := try(u, nil); err != nil {
			t.Errorf("%s: GetObjectAttributes: %v", u.Name, err)
		}
	}
	for _, u := range []User{admin, restore} {
		if err := try(u, v.VersionId); err != nil {
			t.Errorf("%s: GetObjectAttributes of a version: %v", u.Name, err)
		}
	}
	wantAPIError(t, try(attrsOnly, nil), "AccessDenied", 403)
	wantAPIError(t, try(readOnly, nil), "AccessDenied", 403)
	wantAPIError(t, try(current, v.VersionId), "AccessDenied", 403)
}
