package testharness

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestOpsNewestObjectIsTheNewestBackup: the "no backup arrived" metric
// moves only when an object arrives (PutObject, CompleteMultipartUpload,
// CopyObject), not when the gateway writes its own records into the
// bucket: versioning and lifecycle configuration, an object's tags, a delete
// marker.
// Otherwise a daily lifecycle expiry or a tagging job would keep the age
// fresh while no backup arrives. The same holds for the listing at
// start, which must not see the gateway's reserved keys.
func TestOpsNewestObjectIsTheNewestBackup(t *testing.T) {
	t.Parallel()
	g, admin := startWithAdmin(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "nightly/1", []byte("first"))
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put(t, c, b, "nightly/2", []byte("second"))
	newest := func() float64 {
		t.Helper()
		m := series(scrape(t, admin), "envelopegw_bucket_newest_object_timestamp_seconds", map[string]string{"bucket": b})
		if m == nil {
			t.Fatalf("no newest-object timestamp for bucket %s", b)
		}
		return m.GetGauge().GetValue()
	}
	backup := newest()
	if d := time.Since(time.Unix(0, int64(backup*1e9))); d < 0 || d > time.Minute {
		t.Fatalf("newest object %v ago, just after a PUT", d)
	}
	time.Sleep(20 * time.Millisecond)
	afterBackup := float64(time.Now().UnixNano()) / 1e9

	// Writes that are not backups: each stores a record in the bucket.
	if _, err := c.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: &b,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("keep30"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("nightly/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(30)},
		}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: &b, Key: aws.String("nightly/2"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("verified"), Value: aws.String("yes")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("nightly/1")}); err != nil {
		t.Fatal(err) // a delete marker: the newest entry of the bucket, not a backup
	}
	if got := newest(); got != backup {
		t.Errorf("newest object at %.6f after configuration, tags and a delete marker, want the backup's %.6f", got, backup)
	}

	// A restart learns the newest object from a listing of current objects.
	g.Stop()
	g.Restart()
	// The series shows the bucket's creation time at once and its newest
	// object once the listing reached it: watch it for a while.
	deadline := time.Now().Add(15 * time.Second)
	var seen time.Time
	for time.Since(seen) < time.Second || seen.IsZero() {
		if m := series(scrape(t, admin), "envelopegw_bucket_newest_object_timestamp_seconds", map[string]string{"bucket": b}); m != nil {
			if seen.IsZero() {
				seen = time.Now()
			}
			if got := m.GetGauge().GetValue(); got > afterBackup {
				t.Fatalf("after a restart the newest object is at %.6f, after the backup's %.6f: the listing counted records that are not backups", got, backup)
			}
		}
		if seen.IsZero() && time.Now().After(deadline) {
			t.Fatal("after a restart no newest-object timestamp for the bucket")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
