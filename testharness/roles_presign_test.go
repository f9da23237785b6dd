package testharness

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestPresignedRights: a presigned URL carries exactly its signer's
// rights. An ingest user's presigned PUT creates, repeats identically,
// but cannot overwrite; its presigned GET and DELETE are refused; a
// restore user's presigned PUT is refused and its GET works. Only an
// admin's HEAD shows which keys open an object.
func TestPresignedRights(t *testing.T) {
	t.Parallel()
	ingest := NewUser("db1", "ingest")
	restore := NewUser("dba", "restore")
	users := WriteUsersFile(t, filepath.Join(t.TempDir(), "users.json"), ingest, restore)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ic, rc := UserS3Client(t, g, ingest, S3Options{}), UserS3Client(t, g, restore, S3Options{})
	const b = "backups-presign"
	if _, err := ic.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	send := func(method, url string, signed map[string][]string, body []byte) (int, []byte) {
		t.Helper()
		req := mustRequest(t, method, url, body)
		for k, v := range signed {
			if !strings.EqualFold(k, "host") {
				req.Header[k] = v
			}
		}
		resp, rb := rawDo(t, g, req)
		return resp.StatusCode, rb
	}
	presignPut := func(c *s3.Client, key string) (string, map[string][]string) {
		u, err := s3.NewPresignClient(c).PresignPutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key)}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return u.URL, u.SignedHeader
	}
	orig := []byte("the backup, version 1")
	url, hdr := presignPut(ic, "k")
	if code, rb := send("PUT", url, hdr, orig); code != 200 {
		t.Fatalf("ingest presigned PUT: %d %s", code, rb)
	}
	if code, rb := send("PUT", url, hdr, orig); code != 200 {
		t.Fatalf("ingest presigned PUT, identical retry: %d %s", code, rb)
	}
	if code, rb := send("PUT", url, hdr, []byte("encrypted by ransomware")); code != 403 || !bytes.Contains(rb, []byte("AccessDenied")) {
		t.Fatalf("ingest presigned overwrite: %d %s", code, rb)
	}
	pc := s3.NewPresignClient(ic)
	gu, _ := pc.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if code, _ := send("GET", gu.URL, gu.SignedHeader, nil); code != 403 {
		t.Errorf("ingest presigned GET: %d", code)
	}
	du, _ := pc.PresignDeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if code, _ := send("DELETE", du.URL, du.SignedHeader, nil); code != 403 {
		t.Errorf("ingest presigned DELETE: %d", code)
	}
	url, hdr = presignPut(rc, "r")
	if code, _ := send("PUT", url, hdr, []byte("x")); code != 403 {
		t.Errorf("restore presigned PUT: %d", code)
	}
	gu, _ = s3.NewPresignClient(rc).PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	if code, body := send("GET", gu.URL, gu.SignedHeader, nil); code != 200 || !bytes.Equal(body, orig) {
		t.Errorf("restore presigned GET: %d %q", code, body)
	}
	if got := get(t, rc, b, "k"); !bytes.Equal(got, orig) {
		t.Errorf("after the attempts: %q", got)
	}

	// x-envelopegw-key-ids: the admin sees it, the restore user does not.
	if ids := keyIDsHeader(t, g, b, "k"); ids == "" {
		t.Error("the admin's HEAD has no x-envelopegw-key-ids")
	}
	hu, _ := s3.NewPresignClient(rc).PresignHeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	req := mustRequest(t, "HEAD", hu.URL, nil)
	resp, _ := rawDo(t, g, req)
	if resp.StatusCode != 200 || resp.Header.Get("x-envelopegw-key-ids") != "" {
		t.Errorf("restore HEAD: %d, key IDs %q", resp.StatusCode, resp.Header.Get("x-envelopegw-key-ids"))
	}
}
