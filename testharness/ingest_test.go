package testharness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestIngestOnly: a gateway holding only the recipient stores objects
// (single and multipart), answers HEAD and listings, and refuses GETs with
// 403 and an S3 XML error that says it holds no key to decrypt — never
// ciphertext, never a 500. `envelopegw cat` with the private key then
// restores the exact bytes straight from the data dir, with no server.
func TestIngestOnly(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{IngestOnly: true, NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := newBucket(t, c)
	single := Data(21, 2*mib+3)
	put(t, c, b, "dir/single ü", single)
	multi := Data(22, 11*mib+1)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 * mib })
	if _, err := up.Upload(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("multi"), Body: bytes.NewReader(multi)}); err != nil {
		t.Fatalf("multipart upload to an ingest-only gateway: %v", err)
	}

	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("dir/single ü")})
	if err != nil {
		t.Fatalf("HEAD in ingest-only mode: %v", err)
	}
	if aws.ToInt64(h.ContentLength) != int64(len(single)) || aws.ToString(h.ETag) != quoted(md5hex(single)) {
		t.Errorf("HEAD: length %d ETag %s", aws.ToInt64(h.ContentLength), aws.ToString(h.ETag))
	}
	l, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil || len(l.Contents) != 2 {
		t.Fatalf("listing in ingest-only mode: %v, %d objects", err, len(l.Contents))
	}

	for _, key := range []string{"dir/single ü", "multi"} {
		for _, hdr := range []http.Header{nil, {"Range": {"bytes=0-99"}}} {
			resp, body := rawDo(t, g, signed(t, g, "GET", "/"+b+"/"+escapeKey(key), nil, nil, "", hdr))
			checkXMLError(t, resp, body, http.StatusForbidden, "")
			msg := strings.ToLower(string(body))
			if !strings.Contains(msg, "key") || !strings.Contains(msg, "decrypt") {
				t.Errorf("GET %s in ingest-only mode: the error does not explain that no key can decrypt: %s", key, body)
			}
			if bytes.Contains(body, single[:64]) || bytes.Contains(body, multi[:64]) {
				t.Errorf("GET %s leaked plaintext", key)
			}
		}
		_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String(key)})
		wantAPIError(t, err, "", http.StatusForbidden)
	}
	// CopyObject needs to decrypt too (the copy is sealed anew): refused the same way.
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/multi")})
	if err == nil {
		if _, herr := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("copy")}); herr != nil {
			t.Errorf("CopyObject succeeded but the copy is not there: %v", herr)
		}
	} else if s := httpStatus(err); s != http.StatusForbidden {
		t.Errorf("CopyObject in ingest-only mode: %v (want success or 403, never %d)", err, s)
	}

	// Offline restore with the private key, while the server still runs
	// and after it stopped.
	for round, stop := range []bool{false, true} {
		if stop {
			g.Stop()
		}
		for key, want := range map[string][]byte{"dir/single ü": single, "multi": multi} {
			cmd := Command(t, "cat", "--data", g.DataDir, "--signer", g.SignerFile, "-i", g.IdentityFile, b+"/"+key)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			hsh := sha256.New()
			n, rerr := io.Copy(hsh, out)
			if err := cmd.Wait(); err != nil || rerr != nil {
				t.Fatalf("envelopegw cat %s/%s (round %d): %v %v\n%s", b, key, round, err, rerr, stderr.String())
			}
			wantSum := sha256.Sum256(want)
			if n != int64(len(want)) || hex.EncodeToString(hsh.Sum(nil)) != hex.EncodeToString(wantSum[:]) {
				t.Errorf("envelopegw cat %s: %d bytes that differ from the upload", key, n)
			}
		}
	}

	// cat without a usable identity fails loudly and prints nothing.
	cmd := Command(t, "cat", "--data", g.DataDir, "--signer", g.SignerFile, "-i", t.TempDir()+"/missing", b+"/multi")
	if out, err := cmd.Output(); err == nil || len(out) > 0 {
		t.Errorf("cat with a missing identity file: err %v, %d bytes out", err, len(out))
	}
}

// TestCatWrongIdentity: `envelopegw cat` with an identity the object was
// not sealed to fails and writes no plaintext.
func TestCatWrongIdentity(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "k", Data(1, 100000))
	g.Stop()
	dir := t.TempDir()
	Keygen(t, dir+"/other.txt")
	cmd := Command(t, "cat", "--data", g.DataDir, "--signer", g.SignerFile, "-i", dir+"/other.txt", b+"/k")
	out, err := cmd.Output()
	if err == nil {
		t.Errorf("cat with the wrong identity succeeded")
	}
	if len(out) > 0 {
		t.Errorf("cat with the wrong identity wrote %d bytes", len(out))
	}
	cmd = Command(t, "cat", "--data", g.DataDir, "--signer", g.SignerFile, "-i", g.IdentityFile, b+"/no-such-key")
	if _, err := cmd.Output(); err == nil {
		t.Errorf("cat of a missing key succeeded")
	}
}
