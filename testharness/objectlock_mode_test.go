package testharness

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestRetentionModeChange: a GOVERNANCE retention turns into COMPLIANCE
// only with x-amz-bypass-governance-retention (S3 counts it an alteration
// of the lock, not an extension), and COMPLIANCE never turns back.
func TestRetentionModeChange(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c) + "-lock"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	key := "k"
	v := aws.ToString(put(t, c, b, key, []byte("data")).VersionId)
	until := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	retain := func(mode types.ObjectLockRetentionMode, until time.Time, bypass bool) error {
		in := &s3.PutObjectRetentionInput{Bucket: &b, Key: &key, VersionId: &v,
			Retention: &types.ObjectLockRetention{Mode: mode, RetainUntilDate: aws.Time(until)}}
		if bypass {
			in.BypassGovernanceRetention = aws.Bool(true)
		}
		_, err := c.PutObjectRetention(ctx(t), in)
		return err
	}
	mode := func() types.ObjectLockRetentionMode {
		r, err := c.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &b, Key: &key, VersionId: &v})
		if err != nil {
			t.Fatal(err)
		}
		return r.Retention.Mode
	}

	if err := retain(types.ObjectLockRetentionModeGovernance, until, false); err != nil {
		t.Fatal(err)
	}
	if err := retain(types.ObjectLockRetentionModeGovernance, until.Add(time.Second), false); err != nil {
		t.Fatalf("extending GOVERNANCE: %v", err)
	}
	wantAPIError(t, retain(types.ObjectLockRetentionModeCompliance, until.Add(2*time.Second), false), "AccessDenied", 403)
	if m := mode(); m != types.ObjectLockRetentionModeGovernance {
		t.Fatalf("a refused change left mode %s", m)
	}
	if err := retain(types.ObjectLockRetentionModeCompliance, until.Add(2*time.Second), true); err != nil {
		t.Fatalf("GOVERNANCE to COMPLIANCE with bypass: %v", err)
	}
	if m := mode(); m != types.ObjectLockRetentionModeCompliance {
		t.Fatalf("mode %s after the change", m)
	}
	wantAPIError(t, retain(types.ObjectLockRetentionModeGovernance, until.Add(3*time.Second), true), "AccessDenied", 403)
}

// TestLegalHoldNeverSet: a version that never had a legal hold answers
// GetObjectLegalHold with 404 NoSuchObjectLockConfiguration and HEAD
// sends no x-amz-object-lock-legal-hold, as S3 does; once set, ON and
// then OFF read back as set.
func TestLegalHoldNeverSet(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c) + "-lock"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	key := "k"
	put(t, c, b, key, []byte("data"))
	_, err := c.GetObjectLegalHold(ctx(t), &s3.GetObjectLegalHoldInput{Bucket: &b, Key: &key})
	wantMessage(t, "GetObjectLegalHold of a version never held", err, "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration")
	hold := func(st types.ObjectLockLegalHoldStatus) {
		t.Helper()
		if _, err := c.PutObjectLegalHold(ctx(t), &s3.PutObjectLegalHoldInput{Bucket: &b, Key: &key, LegalHold: &types.ObjectLockLegalHold{Status: st}}); err != nil {
			t.Fatal(err)
		}
		lh, err := c.GetObjectLegalHold(ctx(t), &s3.GetObjectLegalHoldInput{Bucket: &b, Key: &key})
		if err != nil || lh.LegalHold.Status != st {
			t.Fatalf("GetObjectLegalHold after %s: %v %+v", st, err, lh)
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
		if err != nil || h.ObjectLockLegalHoldStatus != st {
			t.Fatalf("HEAD after %s: %v %q", st, err, h.ObjectLockLegalHoldStatus)
		}
	}
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
	if err != nil || h.ObjectLockLegalHoldStatus != "" {
		t.Fatalf("HEAD of a version never held: %v %q", err, h.ObjectLockLegalHoldStatus)
	}
	hold(types.ObjectLockLegalHoldStatusOn)
	hold(types.ObjectLockLegalHoldStatusOff)
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key, VersionId: currentVersionID(t, c, b, key)}); err != nil {
		t.Fatalf("deleting a version whose hold is OFF: %v", err)
	}
}
