package testharness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestAWSCLITagsACLsOwnership drives tags, ACLs, ownership controls and
// ListBuckets paging with the aws CLI (botocore), the way backup scripts
// call them.
func TestAWSCLITagsACLsOwnership(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	aws := AWSCLI(t, g)
	run := func(args ...string) []byte {
		t.Helper()
		out, err := aws(args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	fails := func(code string, args ...string) {
		t.Helper()
		_, err := aws(args...)
		if err == nil || !strings.Contains(err.Error(), "("+code+")") {
			t.Fatalf("aws %s: want error %s, got %v", strings.Join(args, " "), code, err)
		}
	}
	file := filepath.Join(t.TempDir(), "backup.xb")
	if err := os.WriteFile(file, []byte("a backup"), 0o600); err != nil {
		t.Fatal(err)
	}

	run("s3", "mb", "s3://cli-0")
	c := S3Client(t, g, S3Options{}) // quicker than a CLI process per bucket
	for i := 1; i < 5; i++ {
		name := fmt.Sprintf("cli-%d", i)
		if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &name}); err != nil {
			t.Fatal(err)
		}
	}
	var lb struct {
		Buckets []struct{ Name string }
		Owner   struct{ ID string }
	}
	// --page-size is max-buckets: the CLI follows ContinuationToken.
	if err := json.Unmarshal(run("s3api", "list-buckets", "--prefix", "cli-", "--page-size", "2"), &lb); err != nil {
		t.Fatal(err)
	}
	if len(lb.Buckets) != 5 || lb.Buckets[0].Name != "cli-0" || lb.Buckets[4].Name != "cli-4" {
		t.Errorf("list-buckets paged: %+v", lb.Buckets)
	}

	run("s3", "cp", "--only-show-errors", "--acl", "bucket-owner-full-control", file, "s3://cli-0/acl")
	fails("AccessControlListNotSupported", "s3", "cp", "--only-show-errors", "--acl", "public-read", file, "s3://cli-0/public")
	fails("AccessControlListNotSupported", "s3api", "put-bucket-acl", "--bucket", "cli-0", "--acl", "public-read")
	run("s3api", "put-object-acl", "--bucket", "cli-0", "--key", "acl", "--acl", "private")
	var acl struct {
		Grants []struct {
			Grantee    struct{ ID string }
			Permission string
		}
	}
	if err := json.Unmarshal(run("s3api", "get-object-acl", "--bucket", "cli-0", "--key", "acl"), &acl); err != nil {
		t.Fatal(err)
	}
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != "FULL_CONTROL" || acl.Grants[0].Grantee.ID != lb.Owner.ID {
		t.Errorf("get-object-acl: %+v (owner %s)", acl, lb.Owner.ID)
	}
	if out := string(run("s3api", "get-bucket-ownership-controls", "--bucket", "cli-0")); !strings.Contains(out, `"BucketOwnerEnforced"`) {
		t.Errorf("get-bucket-ownership-controls: %s", out)
	}
	run("s3api", "head-bucket", "--bucket", "cli-0", "--expected-bucket-owner", lb.Owner.ID)
	fails("403", "s3api", "head-bucket", "--bucket", "cli-0", "--expected-bucket-owner", "111122223333")

	run("s3api", "put-object", "--bucket", "cli-0", "--key", "tagged", "--body", file, "--tagging", "kind=full&db=maria db&verified")
	var tags struct{ TagSet []struct{ Key, Value string } }
	getTags := func() string {
		t.Helper()
		if err := json.Unmarshal(run("s3api", "get-object-tagging", "--bucket", "cli-0", "--key", "tagged"), &tags); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(tags.TagSet)
	}
	if got := getTags(); got != "[{db maria db} {kind full} {verified }]" { // sorted, as S3 lists them
		t.Errorf("tags %s", got)
	}
	var obj struct{ TagCount int }
	if err := json.Unmarshal(run("s3api", "get-object", "--bucket", "cli-0", "--key", "tagged", filepath.Join(t.TempDir(), "out")), &obj); err != nil {
		t.Fatal(err)
	}
	if obj.TagCount != 3 {
		t.Errorf("TagCount %d", obj.TagCount)
	}
	run("s3api", "put-object-tagging", "--bucket", "cli-0", "--key", "tagged", "--tagging", "TagSet=[{Key=kind,Value=incremental}]")
	if got := getTags(); got != "[{kind incremental}]" {
		t.Errorf("tags after put-object-tagging %s", got)
	}
	fails("InvalidTag", "s3api", "put-object-tagging", "--bucket", "cli-0", "--key", "tagged", "--tagging", "TagSet=[{Key=a,Value=1},{Key=a,Value=2}]")
	run("s3api", "delete-object-tagging", "--bucket", "cli-0", "--key", "tagged")
	if got := getTags(); got != "[]" {
		t.Errorf("tags after delete-object-tagging %s", got)
	}
	fails("NoSuchTagSet", "s3api", "get-bucket-tagging", "--bucket", "cli-0")
}
