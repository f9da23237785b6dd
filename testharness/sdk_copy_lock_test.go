package testharness

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKCopyObjectLock: a copy is a new version, so it gets the Object
// Lock its request asks for (x-amz-object-lock-mode, -retain-until-date,
// -legal-hold, as on PutObject) or the destination bucket's default, and
// never the source's retention or legal hold.
func TestSDKCopyObjectLock(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	lb := newLockBucket(t, c)
	plain := newBucket(t, c)
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &lb, Key: aws.String("src"), Body: strings.NewReader("locked source"),
		ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &until, ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn}); err != nil {
		t.Fatalf("PutObject with a lock: %v", err)
	}
	copyTo := func(bucket, key string, f func(*s3.CopyObjectInput)) error {
		in := &s3.CopyObjectInput{Bucket: &bucket, Key: &key, CopySource: aws.String(lb + "/src")}
		if f != nil {
			f(in)
		}
		_, err := c.CopyObject(ctx(t), in)
		return err
	}
	lockOf := func(bucket, key string) (types.ObjectLockMode, *time.Time, types.ObjectLockLegalHoldStatus) {
		t.Helper()
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
		}
		return h.ObjectLockMode, h.ObjectLockRetainUntilDate, h.ObjectLockLegalHoldStatus
	}

	// Without lock headers: the source's lock stays with the source.
	if err := copyTo(lb, "plain-copy", nil); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if m, u, lh := lockOf(lb, "plain-copy"); m != "" || u != nil || lh != "" {
		t.Errorf("copy without lock headers got mode %q until %v hold %q (the source's)", m, u, lh)
	}
	if err := copyTo(plain, "elsewhere", nil); err != nil {
		t.Fatalf("CopyObject to a bucket without Object Lock: %v", err)
	}
	if m, u, lh := lockOf(plain, "elsewhere"); m != "" || u != nil || lh != "" {
		t.Errorf("copy into a bucket without Object Lock got mode %q until %v hold %q", m, u, lh)
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &plain, Key: aws.String("elsewhere")}); err != nil {
		t.Errorf("deleting the unlocked copy: %v", err)
	}

	// With lock headers, as on PutObject.
	later := until.Add(time.Hour)
	if err := copyTo(lb, "locked-copy", func(in *s3.CopyObjectInput) {
		in.ObjectLockMode = types.ObjectLockModeGovernance
		in.ObjectLockRetainUntilDate = &later
		in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn
	}); err != nil {
		t.Fatalf("CopyObject with lock headers: %v", err)
	}
	if m, u, lh := lockOf(lb, "locked-copy"); m != types.ObjectLockModeGovernance || u == nil || !u.Equal(later) || lh != types.ObjectLockLegalHoldStatusOn {
		t.Errorf("copy with lock headers: mode %q until %v hold %q, want GOVERNANCE %v ON", m, u, lh, later)
	}
	_, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &lb, Key: aws.String("locked-copy"), VersionId: currentVersionID(t, c, lb, "locked-copy")})
	wantAPIError(t, err, "AccessDenied", 403)

	// Lock headers where the bucket has no Object Lock, and a retention
	// in the past, are refused as on PutObject.
	err = copyTo(plain, "refused", func(in *s3.CopyObjectInput) { in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn })
	wantAPIError(t, err, "InvalidRequest", 400)
	past := time.Now().Add(-time.Hour)
	err = copyTo(lb, "refused", func(in *s3.CopyObjectInput) {
		in.ObjectLockMode = types.ObjectLockModeGovernance
		in.ObjectLockRetainUntilDate = &past
	})
	wantAPIError(t, err, "InvalidArgument", 400)

	// The bucket's default retention applies to a copy without headers.
	if _, err := c.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &lb, ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}},
	}}); err != nil {
		t.Fatalf("PutObjectLockConfiguration: %v", err)
	}
	if err := copyTo(lb, "default-copy", nil); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if m, u, lh := lockOf(lb, "default-copy"); m != types.ObjectLockModeGovernance || u == nil || u.Before(time.Now().Add(23*time.Hour)) || lh != "" {
		t.Errorf("copy under a default retention: mode %q until %v hold %q", m, u, lh)
	}
}

func newLockBucket(t *testing.T, c *s3.Client) string {
	t.Helper()
	b := fmt.Sprintf("lock%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1))
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatalf("CreateBucket with Object Lock: %v", err)
	}
	return b
}

func currentVersionID(t *testing.T, c *s3.Client, b, key string) *string {
	t.Helper()
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject %s: %v", key, err)
	}
	return h.VersionId
}
