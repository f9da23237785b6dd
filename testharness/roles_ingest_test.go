package testharness

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"envelopegw/testharness/xbcloud"
	"envelopegw/testharness/xbstream"
)

// TestIngestRole: a backup host with the ingest role backs up through the
// xbcloud-pattern client and the aws CLI, then tries everything
// ransomware on that host would: GET, HEAD, DELETE, overwrite,
// multi-delete, CopyObject out, presigned GET. Every one is refused and
// the backups stay intact; an identical re-sent upload succeeds. A
// restore user then restores with xbcloud get and presigned URLs.
func TestIngestRole(t *testing.T) {
	t.Parallel()
	AWSPath(t)
	dir := t.TempDir()
	ingest := NewUser("db1", "ingest")
	ingest.Buckets = []string{"backups-*"}
	restore := NewUser("restorer", "restore")
	users := WriteUsersFile(t, filepath.Join(dir, "users.json"), ingest, restore)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ctx := context.Background()
	const bucket = "backups-db1"

	// xbcloud put as the backup host; it creates the bucket after the 404.
	var stream bytes.Buffer
	files := xbstream.DefaultFiles(3<<20 + 12345)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if _, err := xbstream.Generate(&stream, xbstream.GenOptions{Seed: 7, Files: files, ChunkSize: 1 << 20, Interleave: 1}); err != nil {
		t.Fatal(err)
	}
	// Chunks go up four at a time; a serial get returns the stream as put.
	xb := func(u User, parallel int) *xbcloud.Client {
		c, err := xbcloud.New(xbcloud.Config{Endpoint: g.Endpoint, AccessKey: u.AccessKey, SecretKey: u.SecretKey,
			Bucket: bucket, APIVersion: "4", BucketLookup: "path", Parallel: parallel, RetryBackoff: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := xb(ingest, 4).Put(ctx, "full-1", bytes.NewReader(stream.Bytes())); err != nil {
		t.Fatalf("xbcloud put as ingest: %v", err)
	}

	// aws CLI as the backup host: a multipart upload (9 MiB > 8 MiB).
	cli := UserAWSCLI(t, g, ingest)
	big := filepath.Join(dir, "big.bin")
	bigSum := WriteDataFile(t, big, 11, 9<<20)
	if out, err := cli("s3", "cp", big, "s3://"+bucket+"/cli/big.bin"); err != nil {
		t.Fatalf("aws s3 cp as ingest: %v %s", err, out)
	}
	// The identical upload re-sent (a retry after a lost answer) succeeds.
	if out, err := cli("s3", "cp", big, "s3://"+bucket+"/cli/big.bin"); err != nil {
		t.Fatalf("identical re-sent multipart upload refused: %v %s", err, out)
	}
	sdk := UserS3Client(t, g, ingest, S3Options{})
	small := []byte("a small object, sent twice")
	for range 2 {
		if _, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: strPtr(bucket), Key: strPtr("small"), Body: bytes.NewReader(small)}); err != nil {
			t.Fatalf("identical re-sent PUT: %v", err)
		}
	}
	if _, err := cli("s3", "ls", "s3://"+bucket+"/cli/"); err != nil {
		t.Errorf("ingest cannot list: %v", err)
	}

	// What ransomware on the backup host would try.
	other := filepath.Join(dir, "other.bin")
	WriteDataFile(t, other, 12, 9<<20)
	key := "full-1/" + files[0].Path + ".00000000000000000000"
	for _, c := range [][]string{
		{"s3", "cp", "s3://" + bucket + "/cli/big.bin", filepath.Join(dir, "stolen")},
		{"s3api", "head-object", "--bucket", bucket, "--key", "cli/big.bin"},
		{"s3", "rm", "s3://" + bucket + "/cli/big.bin"},
		{"s3", "rm", "--recursive", "s3://" + bucket + "/full-1/"}, // multi-delete
		{"s3", "cp", other, "s3://" + bucket + "/cli/big.bin"},     // overwrite (multipart)
		{"s3api", "put-object", "--bucket", bucket, "--key", key, "--body", other},
		{"s3api", "copy-object", "--bucket", bucket, "--key", "out/copy", "--copy-source", bucket + "/cli/big.bin"},
		{"s3api", "delete-bucket", "--bucket", bucket},
	} {
		if out, err := cli(c...); err == nil {
			t.Errorf("aws %s as ingest succeeded: %s", strings.Join(c, " "), out)
		} else if !strings.Contains(err.Error(), "403") && !strings.Contains(err.Error(), "AccessDenied") && !strings.Contains(err.Error(), "Forbidden") {
			t.Errorf("aws %s as ingest: %v, want AccessDenied", strings.Join(c, " "), err)
		}
	}
	out, err := sdk.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: strPtr(bucket), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: strPtr("small")}, {Key: strPtr("cli/big.bin")}}}})
	if err != nil || len(out.Deleted) != 0 || len(out.Errors) != 2 || *out.Errors[0].Code != "AccessDenied" {
		t.Errorf("DeleteObjects as ingest: %v %+v", err, out)
	}
	presigned, err := cli("s3", "presign", "s3://"+bucket+"/cli/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.HTTPClient().Get(strings.TrimSpace(string(presigned)))
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	checkXMLError(t, resp, rb, 403, "AccessDenied")

	// The restore user restores everything, intact.
	var restored bytes.Buffer
	if _, err := xb(restore, 1).Get(ctx, "full-1", &restored); err != nil {
		t.Fatalf("xbcloud get as restore: %v", err)
	}
	if !bytes.Equal(restored.Bytes(), stream.Bytes()) {
		t.Errorf("restored stream differs (%d bytes, want %d)", restored.Len(), stream.Len())
	}
	rcli := UserAWSCLI(t, g, restore)
	presigned, err = rcli("s3", "presign", "s3://"+bucket+"/cli/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	resp, err = g.HTTPClient().Get(strings.TrimSpace(string(presigned)))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256Reader(t, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || h != bigSum {
		t.Errorf("presigned GET as restore: %d, sha256 %s want %s", resp.StatusCode, h, bigSum)
	}
	if got := get(t, UserS3Client(t, g, restore, S3Options{}), bucket, "small"); !bytes.Equal(got, small) {
		t.Errorf("small: %q", got)
	}
	// The restore user writes nothing, with any client.
	if out, err := rcli("s3", "rm", "s3://"+bucket+"/small"); err == nil {
		t.Errorf("restore deleted: %s", out)
	}
	if !g.AwaitLog("msg=audit") || !g.AwaitLog("user=db1") {
		t.Error("no audit records for the backup host")
	}
}

func sha256Reader(t *testing.T, r io.Reader) string {
	t.Helper()
	h, _, err := SHA256Hex(r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
