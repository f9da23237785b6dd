package testharness

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestInventoryShowsVersionAndRetention: the version ID and the lock are
// sealed attributes, so `inventory` lists them only when given the
// gateway's state key; without it the rest of the listing still verifies.
func TestInventoryShowsVersionAndRetention(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := "backups-inv-lock"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &b, ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeCompliance, Days: aws.Int32(2)}},
	}}); err != nil {
		t.Fatal(err)
	}
	put, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("day1/chunk.0"), Body: strings.NewReader("backup chunk")})
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("day1/chunk.0")})
	if err != nil {
		t.Fatal(err)
	}
	until := aws.ToTime(head.ObjectLockRetainUntilDate).UTC().Format(time.RFC3339)

	type row struct{ Key, Version, Retention, Error string }
	list := func(extra ...string) row {
		args := append([]string{"--data", g.DataDir, "--signer", g.SignerFile, "--json"}, extra...)
		out, ok := runInventory(t, append(args, b)...)
		if !ok {
			t.Fatalf("inventory failed:\n%s", out)
		}
		var doc struct{ Objects []row }
		if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Objects) != 1 {
			t.Fatalf("listed %+v, want one object", doc.Objects)
		}
		return doc.Objects[0]
	}
	if r := list(); r.Version != "" || r.Retention != "" || r.Error != "" {
		t.Errorf("without the state key: %+v, want no version, no retention, no error", r)
	}
	r := list("--state-key", filepath.Join(g.DataDir, ".envelopegw", "state.key"))
	if r.Version != aws.ToString(put.VersionId) || r.Retention != "COMPLIANCE until "+until || r.Error != "" {
		t.Errorf("with the state key: %+v, want version %s and COMPLIANCE until %s", r, aws.ToString(put.VersionId), until)
	}
}
