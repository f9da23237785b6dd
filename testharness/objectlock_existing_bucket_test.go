package testharness

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"envelopegw/backend/s3/s3test"
)

// TestObjectLockEnableExistingBucket: as in S3 (since 2023), Object Lock
// is enabled on an existing bucket with PutObjectLockConfiguration once
// its versioning is Enabled (InvalidBucketState before). Versions stored
// before stay unlocked and deletable; versions written after get the
// default retention; versioning can no longer be suspended. On a volume
// and on an upstream S3 store alike.
func TestObjectLockEnableExistingBucket(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) Options
	}{
		{"posix", func(*testing.T) Options { return Options{NoFsync: true} }},
		{"upstream", func(t *testing.T) Options { return Options{Upstream: s3test.SharedMinIO(t)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := Start(t, tc.opts(t))
			c := S3Client(t, g, S3Options{})
			b := newBucket(t, c)
			enable := &s3.PutObjectLockConfigurationInput{Bucket: &b, ObjectLockConfiguration: &types.ObjectLockConfiguration{
				ObjectLockEnabled: types.ObjectLockEnabledEnabled,
				Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}},
			}}
			put(t, c, b, "before-versioning", []byte("a"))
			_, err := c.PutObjectLockConfiguration(ctx(t), enable)
			wantAPIError(t, err, "InvalidBucketState", 409)
			if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b,
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
				t.Fatal(err)
			}
			old := put(t, c, b, "before-lock", []byte("b"))
			if _, err := c.PutObjectLockConfiguration(ctx(t), enable); err != nil {
				t.Fatalf("enabling Object Lock on a versioned bucket: %v", err)
			}
			lc, err := c.GetObjectLockConfiguration(ctx(t), &s3.GetObjectLockConfigurationInput{Bucket: &b})
			if err != nil || lc.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled || lc.ObjectLockConfiguration.Rule == nil {
				t.Fatalf("GetObjectLockConfiguration: %v %+v", err, lc)
			}
			_, err = c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b,
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
			wantAPIError(t, err, "InvalidBucketState", 409)

			// What was stored before carries no retention and can go.
			for _, k := range []string{"before-versioning", "before-lock"} {
				_, err := c.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &b, Key: aws.String(k)})
				wantAPIError(t, err, "NoSuchObjectLockConfiguration", 404)
			}
			if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("before-lock"), VersionId: old.VersionId}); err != nil {
				t.Fatalf("deleting a version stored before Object Lock: %v", err)
			}
			if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("before-versioning"), VersionId: aws.String("null")}); err != nil {
				t.Fatalf("deleting the null version stored before versioning: %v", err)
			}

			// A version written after gets the default and is protected.
			nv := put(t, c, b, "after", []byte("c"))
			r, err := c.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &b, Key: aws.String("after")})
			if err != nil || r.Retention.Mode != types.ObjectLockRetentionModeGovernance {
				t.Fatalf("retention of a new version: %v %+v", err, r)
			}
			_, err = c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("after"), VersionId: nv.VersionId})
			wantAPIError(t, err, "AccessDenied", 403)
			if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("after"), VersionId: nv.VersionId}); err != nil {
				t.Fatalf("the protected version is gone: %v", err)
			}
		})
	}
}
