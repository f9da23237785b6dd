package testharness

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestDamagedHeadCostsOnlyItsKey (issue 8, item 4): a head truncated to
// zero bytes, as a power loss under --no-fsync leaves it, must not make
// the bucket's listings answer 500; DELETE, PUT and CopyObject onto the key
// work; `envelopegw fsck` reports it, and removes it with --remove-damaged.
func TestDamagedHeadCostsOnlyItsKey(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	for _, k := range []string{"a", "dir/broken", "dir/ok", "overwrite", "copied-onto", "kept-broken"} {
		put(t, c, b, k, []byte("data of "+k))
	}
	heads := filepath.Join(g.DataDir, "buckets", b, "objects")
	for _, p := range []string{"ddir/obroken", "ooverwrite", "ocopied-onto", "okept-broken"} {
		if err := os.Truncate(filepath.Join(heads, p), 0); err != nil {
			t.Fatal(err)
		}
	}

	out, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil {
		t.Fatalf("listing a bucket with damaged heads: %v", err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if got := strings.Join(keys, " "); got != "a dir/ok" {
		t.Errorf("listed %q, want the intact keys", got)
	}
	if _, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/broken")}); httpStatus(err) != http.StatusInternalServerError {
		t.Errorf("GET of a damaged key: %v", err)
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("dir/broken")}); err != nil {
		t.Errorf("DELETE of a damaged key: %v", err)
	}
	put(t, c, b, "overwrite", []byte("new"))
	if got := get(t, c, b, "overwrite"); string(got) != "new" {
		t.Errorf("overwritten damaged key reads %q", got)
	}
	if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copied-onto"), CopySource: aws.String(b + "/a")}); err != nil {
		t.Errorf("CopyObject onto a damaged key: %v", err)
	} else if got := get(t, c, b, "copied-onto"); string(got) != "data of a" {
		t.Errorf("copied-onto reads %q", got)
	}

	// One damaged head is left: fsck reports it (exit 1), then removes it.
	var stdout bytes.Buffer
	cmd := Command(t, "fsck", "--data", g.DataDir)
	cmd.Stdout = &stdout
	if err := cmd.Run(); err == nil || !strings.Contains(stdout.String(), "damaged head record "+b+"/kept-broken") {
		t.Fatalf("fsck: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	cmd = Command(t, "fsck", "--data", g.DataDir, "--remove-damaged")
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "1 damaged, 1 removed") {
		t.Fatalf("fsck --remove-damaged: %v\n%s", err, stdout.String())
	}
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("kept-broken")}); httpStatus(err) != http.StatusNotFound {
		t.Errorf("HEAD of the removed key: %v", err)
	}
}
