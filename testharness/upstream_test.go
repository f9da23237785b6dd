package testharness

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"

	"envelopegw/backend/s3/s3test"
)

// TestUpstreamMinIO: through a gateway on a MinIO cluster (erasure-coded,
// four drives) with the aws-sdk-go-v2: PUT, multipart, ranged GET, list
// and delete; the upstream holds only ciphertext.
func TestUpstreamMinIO(t *testing.T) {
	t.Parallel()
	upstreamRoundTrip(t, s3test.SharedMinIO(t))
}

// TestUpstreamVersity: the same through a gateway on versitygw, a second,
// independent S3 implementation.
func TestUpstreamVersity(t *testing.T) {
	t.Parallel()
	upstreamRoundTrip(t, s3test.StartVersity(t))
}

func upstreamRoundTrip(t *testing.T, srv *s3test.Server) {
	g := Start(t, Options{Upstream: srv})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)

	small := Data(11, 100_000)
	put(t, c, b, "dir/small", small)
	if got := get(t, c, b, "dir/small"); !bytes.Equal(got, small) {
		t.Fatalf("GET returned %d bytes that differ", len(got))
	}

	key := "dir/big"
	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{Data(1, 5*mib), Data(2, 5*mib), Data(3, 1234)}
	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, uploadPart(t, c, b, key, aws.ToString(cr.UploadId), int32(i+1), p, ""))
	}
	if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	whole := slices.Concat(parts...)
	if got := get(t, c, b, key); !bytes.Equal(got, whole) {
		t.Fatalf("multipart object reads back %d bytes that differ", len(got))
	}
	checkRanges(t, c, b, key, whole, []rangeCase{{"bytes=5242870-10485770", 5242870, 10485770}})

	lo, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b, Prefix: aws.String("dir/")})
	if err != nil || len(lo.Contents) != 2 || aws.ToString(lo.Contents[0].Key) != "dir/big" || aws.ToString(lo.Contents[1].Key) != "dir/small" {
		t.Fatalf("ListObjectsV2: %v %+v", err, lo)
	}
	noPlaintextUpstream(t, srv, g.UpstreamPrefix+"/", small, whole[:4096])

	// The offline reader decrypts straight from the upstream.
	cat := Command(t, "cat", "--upstream", g.UpstreamURL(), "--upstream-style", "path", "-i", g.IdentityFile, "--insecure-skip-signer", b+"/"+key)
	cat.Env = append(cat.Env, g.UpstreamEnv()...)
	var stderr bytes.Buffer
	cat.Stderr = &stderr
	if out, err := cat.Output(); err != nil || !bytes.Equal(out, whole) {
		t.Fatalf("cat --upstream: %v, %d bytes (equal: %v)\n%s", err, len(out), bytes.Equal(out, whole), stderr.Bytes())
	}

	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key}); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
	wantAPIError(t, err, "NotFound", 404)
}

// noPlaintextUpstream reads every upstream object under p and fails if
// one holds a piece of a plaintext.
func noPlaintextUpstream(t *testing.T, srv *s3test.Server, p string, plains ...[]byte) {
	t.Helper()
	n := 0
	for o := range srv.Client.ListObjects(context.Background(), srv.Bucket, minio.ListObjectsOptions{Prefix: p, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		r, err := srv.Client.GetObject(context.Background(), srv.Bucket, o.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(r)
		r.Close()
		for _, pl := range plains {
			if bytes.Contains(buf.Bytes(), pl[:256]) {
				t.Fatalf("upstream object %s holds plaintext", o.Key)
			}
		}
		n++
	}
	if n == 0 {
		t.Fatal("nothing stored upstream")
	}
}

// TestUpstreamTwoGateways: two gateways in front of one MinIO share
// everything: an upload created and given a part through one is given
// its other parts and completed through the other, and both read it.
func TestUpstreamTwoGateways(t *testing.T) {
	t.Parallel()
	srv := s3test.SharedMinIO(t)
	g1 := Start(t, Options{Upstream: srv})
	g2 := Start(t, Options{Upstream: srv, Share: g1})
	c1, c2 := S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})
	b := newBucket(t, c1)
	key := "split/upload"
	cr, err := c1.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(cr.UploadId)
	parts := [][]byte{Data(21, 5*mib), Data(22, 5*mib), Data(23, 999)}
	done := []types.CompletedPart{
		uploadPart(t, c1, b, key, id, 1, parts[0], ""),
		uploadPart(t, c2, b, key, id, 2, parts[1], ""),
		uploadPart(t, c1, b, key, id, 3, parts[2], ""),
	}
	lu, err := c2.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != id {
		t.Fatalf("ListMultipartUploads through the second gateway: %v %+v", err, lu)
	}
	if _, err := c2.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatalf("Complete through the second gateway: %v", err)
	}
	whole := slices.Concat(parts...)
	for i, c := range []*s3.Client{c1, c2} {
		if got := get(t, c, b, key); !bytes.Equal(got, whole) {
			t.Errorf("gateway %d reads %d bytes that differ", i+1, len(got))
		}
	}
}

// TestUpstreamWrongCredentials: serve refuses to start, and says why.
func TestUpstreamWrongCredentials(t *testing.T) {
	t.Parallel()
	srv := s3test.SharedMinIO(t)
	cmd := Command(t, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(),
		"--upstream", srv.URL()+"/"+srv.Bucket, "--upstream-style", "path")
	cmd.Env = append(cmd.Env, "ENVELOPEGW_UPSTREAM_ACCESS_KEY="+srv.AccessKey, "ENVELOPEGW_UPSTREAM_SECRET_KEY=wrong-secret-key")
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve started with wrong upstream credentials:\n%s", out)
	}
	if !strings.Contains(string(out), "rejects the credentials") {
		t.Fatalf("serve failed without saying the credentials are wrong: %v\n%s", err, out)
	}
}
