package testharness

import (
	"bytes"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// curl runs curl with a clean environment, trusting the gateway's
// certificate, and returns its output.
func curl(t *testing.T, g *Gateway, args ...string) ([]byte, error) {
	t.Helper()
	bin := NeedTool(t, "curl")
	full := []string{"--silent", "--show-error", "--fail", "--noproxy", "*"}
	if g.CAFile != "" {
		full = append(full, "--cacert", g.CAFile)
	}
	cmd := exec.Command(bin, append(full, args...)...)
	cmd.Env = baseEnv(t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &cmdError{err: err, stderr: stderr.String()}
	}
	return out, nil
}

type cmdError struct {
	err    error
	stderr string
}

func (e *cmdError) Error() string { return e.err.Error() + ": " + e.stderr }

// TestPresignedURLs: presigned GET and PUT URLs made by the SDK's presigner
// work with net/http and curl, carry ranges, and stop working when they
// expire or are tampered with.
func TestPresignedURLs(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c, g := e.c, e.g
		b := newBucket(t, c)
		body := Data(3, 3*mib+5)
		put(t, c, b, "dir/pre signed ü", body)
		pc := s3.NewPresignClient(c)

		gu, err := pc.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/pre signed ü")}, s3.WithPresignExpires(15*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		resp, got := rawDo(t, g, mustRequest(t, "GET", gu.URL, nil))
		if resp.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("presigned GET with net/http: %d, %d bytes", resp.StatusCode, len(got))
		}
		req := mustRequest(t, "GET", gu.URL, nil)
		req.Header.Set("Range", "bytes=1000-1999")
		resp, got = rawDo(t, g, req)
		if resp.StatusCode != 206 || !bytes.Equal(got, body[1000:2000]) {
			t.Errorf("presigned ranged GET: %d, %d bytes", resp.StatusCode, len(got))
		}
		out := filepath.Join(t.TempDir(), "download")
		if _, err := curl(t, g, "-o", out, gu.URL); err != nil {
			t.Fatalf("curl presigned GET: %v", err)
		}
		if FileSHA256(t, out) != sha256hex(body) {
			t.Errorf("curl download differs")
		}

		// Presigned PUT, with net/http and with curl.
		newBody := Data(4, 2*mib+1)
		putURL, err := pc.PresignPutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("uploaded by url")}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		req = mustRequest(t, "PUT", putURL.URL, newBody)
		for k, v := range putURL.SignedHeader {
			if !strings.EqualFold(k, "host") {
				req.Header[k] = v
			}
		}
		resp, rb := rawDo(t, g, req)
		if resp.StatusCode != 200 {
			t.Fatalf("presigned PUT with net/http: %d %s", resp.StatusCode, rb)
		}
		if resp.Header.Get("ETag") != quoted(md5hex(newBody)) {
			t.Errorf("presigned PUT ETag %q", resp.Header.Get("ETag"))
		}
		if got := get(t, c, b, "uploaded by url"); !bytes.Equal(got, newBody) {
			t.Errorf("object uploaded by presigned PUT differs")
		}
		src := filepath.Join(t.TempDir(), "up")
		sum := WriteDataFile(t, src, 5, 4*mib+3)
		putURL, err = pc.PresignPutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("curl upload")}, s3.WithPresignExpires(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		curlArgs := []string{"-T", src}
		for k, v := range putURL.SignedHeader {
			if !strings.EqualFold(k, "host") {
				curlArgs = append(curlArgs, "-H", k+": "+strings.Join(v, ","))
			}
		}
		if _, err := curl(t, g, append(curlArgs, putURL.URL)...); err != nil {
			t.Fatalf("curl presigned PUT: %v", err)
		}
		if s, _, _ := SHA256Hex(bytes.NewReader(get(t, c, b, "curl upload"))); s != sum {
			t.Errorf("object uploaded by curl differs")
		}

		// Tampering: another key with the same signature.
		bad := strings.Replace(gu.URL, "pre%20signed", "pre%20signex", 1)
		resp, rb = rawDo(t, g, mustRequest(t, "GET", bad, nil))
		checkXMLError(t, resp, rb, http.StatusForbidden, "SignatureDoesNotMatch")
		u, _ := url.Parse(gu.URL)
		q := u.Query()
		q.Set("X-Amz-Expires", "604801")
		u.RawQuery = q.Encode()
		resp, rb = rawDo(t, g, mustRequest(t, "GET", u.String(), nil))
		if resp.StatusCode != 400 && resp.StatusCode != 403 {
			t.Errorf("presigned URL with X-Amz-Expires over 7 days: %d %s", resp.StatusCode, rb)
		}

		// Expiry is enforced.
		short, err := pc.PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("dir/pre signed ü")}, s3.WithPresignExpires(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(short.URL, "X-Amz-Expires=1&") && !strings.HasSuffix(short.URL, "X-Amz-Expires=1") {
			t.Fatalf("presigned URL does not say X-Amz-Expires=1: %s", short.URL)
		}
		time.Sleep(2100 * time.Millisecond)
		resp, rb = rawDo(t, g, mustRequest(t, "GET", short.URL, nil))
		checkXMLError(t, resp, rb, http.StatusForbidden, "AccessDenied")
		if !bytes.Contains(bytes.ToLower(rb), []byte("expired")) {
			t.Errorf("expired URL: message does not say so: %s", rb)
		}
		if _, err := curl(t, g, "-o", filepath.Join(t.TempDir(), "x"), short.URL); err == nil {
			t.Errorf("curl fetched an expired presigned URL")
		}
	})
}

func mustRequest(t testing.TB, method, u string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	return req
}

func sha256hex(b []byte) string {
	s, _, _ := SHA256Hex(bytes.NewReader(b))
	return s
}
