package testharness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// awsNoRetry runs the aws CLI against g with retries off and a short read
// timeout, so that a stalled connection fails the command instead of being
// hidden by a retry after botocore's 60 s default.
func awsNoRetry(t *testing.T, g *Gateway, args ...string) (string, error) {
	t.Helper()
	c := AWSCommand(t, g, append([]string{"--cli-read-timeout", "15"}, args...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, c.Args[1:]...)
	cmd.Env = append(c.Env, "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.String(), nil
}

// TestAWSCLISyncSmallFiles syncs 200 files of 0 to 100 bytes (two of them
// empty) with the aws CLI. botocore sends every PUT with
// "Expect: 100-continue"; before the gateway answered empty ones with a
// 100 Continue, the next PUT on that connection stalled until the read
// timeout (60 s by default), which here, with retries off, fails the sync.
// The duration is logged (measured on this project's 2-core machine: about
// 2.6 s, against 61.8 s before).
func TestAWSCLISyncSmallFiles(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	dir := t.TempDir()
	want := map[string][]byte{}
	for i := range 200 {
		name := fmt.Sprintf("f%03d", i)
		data := Data(uint64(i), i%101)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		want["s/"+name] = data
	}
	if _, err := awsNoRetry(t, g, "s3", "mb", "s3://sync-small"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := awsNoRetry(t, g, "s3", "sync", "--only-show-errors", dir, "s3://sync-small/s/"); err != nil {
		t.Fatal(err)
	}
	t.Logf("aws s3 sync of 200 files of 0-100 bytes: %v", time.Since(t0).Round(time.Millisecond))

	c := S3Client(t, g, S3Options{})
	var n int
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: strPtr("sync-small")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			n++
			w, ok := want[*o.Key]
			if !ok || *o.Size != int64(len(w)) {
				t.Errorf("listed %s (%d bytes), not one of the synced files", *o.Key, *o.Size)
			}
		}
	}
	if n != len(want) {
		t.Fatalf("listed %d objects, synced %d", n, len(want))
	}
	for _, k := range []string{"s/f000", "s/f001", "s/f100", "s/f101", "s/f199"} {
		if got := get(t, c, "sync-small", k); !bytes.Equal(got, want[k]) {
			t.Errorf("%s: got %d bytes, want %d", k, len(got), len(want[k]))
		}
	}
}

func strPtr(s string) *string { return &s }

// TestBoto3MetadataNames: boto3 reports user metadata under the names it
// stored (lower case, as S3 returns them), and Content-Encoding values
// come back joined with ", ".
func TestBoto3MetadataNames(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	out := Boto3(t, g, `
s3.create_bucket(Bucket="meta-names")
s3.put_object(Bucket="meta-names", Key="k", Body=b"x", Metadata={"meta1": "v1", "second-name": "v2"},
              ContentEncoding="deflate,gzip")
h = s3.head_object(Bucket="meta-names", Key="k")
g = s3.get_object(Bucket="meta-names", Key="k")
c = s3.copy_object(Bucket="meta-names", Key="k2", CopySource="meta-names/k")
h2 = s3.head_object(Bucket="meta-names", Key="k2")
print(json.dumps({"head": h["Metadata"], "get": g["Metadata"], "copy": h2["Metadata"],
                  "enc": h["ContentEncoding"], "getEnc": g["ContentEncoding"]}))
`)
	var got struct {
		Head, Get, Copy map[string]string
		Enc, GetEnc     string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	want := map[string]string{"meta1": "v1", "second-name": "v2"}
	for name, m := range map[string]map[string]string{"head_object": got.Head, "get_object": got.Get, "head_object of a copy": got.Copy} {
		if fmt.Sprint(m) != fmt.Sprint(want) {
			t.Errorf("%s Metadata = %v, want %v", name, m, want)
		}
	}
	if got.Enc != "deflate, gzip" || got.GetEnc != "deflate, gzip" {
		t.Errorf("ContentEncoding head %q get %q, want \"deflate, gzip\"", got.Enc, got.GetEnc)
	}
}
