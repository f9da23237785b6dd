package testharness

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKLifecycle drives Put/Get/DeleteBucketLifecycleConfiguration and
// their errors with aws-sdk-go-v2.
func TestSDKLifecycle(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := aws.String("lc-sdk")
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantAPIError(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)

	keep30 := types.LifecycleRule{
		ID: aws.String("keep-30-days"), Status: types.ExpirationStatusEnabled,
		Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("backups/")},
		Expiration:                     &types.LifecycleExpiration{Days: aws.Int32(30)},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(2)},
	}
	legacy := types.LifecycleRule{
		ID: aws.String("old"), Status: types.ExpirationStatusDisabled, Prefix: aws.String("old/"),
		Expiration: &types.LifecycleExpiration{Date: aws.Time(mustTime(t, "2027-01-01T00:00:00Z"))},
	}
	put := func(rules ...types.LifecycleRule) error {
		_, err := c.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{
			Bucket: b, LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules}})
		return err
	}
	if err := put(keep30, legacy); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Rules) != 2 {
		t.Fatalf("rules: %+v", out.Rules)
	}
	r := out.Rules[0]
	if aws.ToString(r.ID) != "keep-30-days" || r.Status != types.ExpirationStatusEnabled || r.Filter == nil ||
		aws.ToString(r.Filter.Prefix) != "backups/" || aws.ToInt32(r.Expiration.Days) != 30 ||
		aws.ToInt32(r.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 2 {
		t.Errorf("rule 1 came back as %+v", r)
	}
	if r := out.Rules[1]; aws.ToString(r.Prefix) != "old/" || r.Status != types.ExpirationStatusDisabled || !r.Expiration.Date.Equal(mustTime(t, "2027-01-01T00:00:00Z")) {
		t.Errorf("rule 2 came back as %+v", r)
	}
	// The configuration is not an object.
	lo, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: b})
	if err != nil || len(lo.Contents) != 0 {
		t.Errorf("listing: %+v, %v", lo, err)
	}

	bad := keep30
	bad.Expiration = &types.LifecycleExpiration{Days: aws.Int32(0)}
	wantAPIError(t, put(bad), "InvalidArgument", http.StatusBadRequest)
	wantAPIError(t, put(keep30, keep30), "InvalidArgument", http.StatusBadRequest) // same ID twice
	bad = keep30
	bad.Expiration, bad.AbortIncompleteMultipartUpload = nil, nil
	wantAPIError(t, put(bad), "InvalidRequest", http.StatusBadRequest)
	bad = keep30
	bad.NoncurrentVersionExpiration = &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1), NewerNoncurrentVersions: aws.Int32(101)}
	wantAPIError(t, put(bad), "InvalidArgument", http.StatusBadRequest)
	bad = keep30
	bad.Status = "Sometimes"
	wantAPIError(t, put(bad), "MalformedXML", http.StatusBadRequest)
	// A refused configuration left the stored one alone.
	if out, err := c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b}); err != nil || len(out.Rules) != 2 {
		t.Errorf("after refused PUTs: %+v, %v", out, err)
	}

	_, err = c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("lc-none")})
	wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
	if _, err := c.DeleteBucketLifecycle(ctx(t), &s3.DeleteBucketLifecycleInput{Bucket: b}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: b})
	wantAPIError(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)
	if err := put(keep30); err != nil {
		t.Fatal(err)
	}
	// A bucket empty but for its configuration can be deleted.
	if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: b}); err != nil {
		t.Fatalf("DeleteBucket with a lifecycle configuration: %v", err)
	}
}

// TestAWSCLILifecycle: the aws CLI's put-, get- and
// delete-bucket-lifecycle-configuration, with a rule that keeps 30 days,
// as the README shows it, and its errors.
func TestAWSCLILifecycle(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	aws := AWSCLI(t, g)
	if _, err := aws("s3", "mb", "s3://lc-cli"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lifecycle.json")
	os.WriteFile(cfg, []byte(`{"Rules": [{"ID": "keep-30-days", "Status": "Enabled", "Filter": {"Prefix": "backups/"},
  "Expiration": {"Days": 30}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}]}`), 0o600)
	if _, err := aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "lc-cli", "--lifecycle-configuration", "file://"+cfg); err != nil {
		t.Fatal(err)
	}
	out, err := aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "lc-cli")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rules []struct {
			ID, Status string
			Filter     struct{ Prefix string }
			Expiration struct{ Days int }
		}
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Rules) != 1 || got.Rules[0].ID != "keep-30-days" ||
		got.Rules[0].Filter.Prefix != "backups/" || got.Rules[0].Expiration.Days != 30 || got.Rules[0].Status != "Enabled" {
		t.Fatalf("get-bucket-lifecycle-configuration: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Date": "2027-01-01T10:00:00Z"}}]}`), 0o600)
	if _, err := aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "lc-cli", "--lifecycle-configuration", "file://"+bad); err == nil || !strings.Contains(err.Error(), "(InvalidArgument)") {
		t.Errorf("a date not at midnight: %v", err)
	}
	if _, err := aws("s3api", "delete-bucket-lifecycle", "--bucket", "lc-cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "lc-cli"); err == nil || !strings.Contains(err.Error(), "(NoSuchLifecycleConfiguration)") {
		t.Errorf("after delete: %v", err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
