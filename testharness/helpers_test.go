package testharness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// TestMain runs four tests at a time unless -parallel says otherwise: the
// tests spend most of their time waiting on client processes (the aws CLI
// starts slowly) and on the disk, so two (GOMAXPROCS here) leaves the
// machine idle.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "4")
	}
	Main(m)
}

// sdkMode is one way the aws-sdk-go-v2 talks to the gateway.
type sdkMode struct {
	name string
	tls  bool
	opts S3Options
}

// sdkModes are the request body forms the SDK produces: aws-chunked with a
// CRC32 trailer (default checksums over HTTPS), a CRC32 header with a
// signed payload hash (default checksums over HTTP), and a signed payload
// hash alone (checksums when required).
var sdkModes = []sdkMode{
	{name: "checksums=default,https", tls: true},
	{name: "checksums=default,http"},
	{name: "checksums=when_required,http", opts: S3Options{ChecksumWhenRequired: true}},
}

// sdkEnv is a gateway and an SDK client for one mode.
type sdkEnv struct {
	g *Gateway
	c *s3.Client
}

// forEachSDKMode runs f in parallel subtests, one gateway per SDK mode.
func forEachSDKMode(t *testing.T, f func(t *testing.T, e *sdkEnv)) {
	t.Helper()
	for _, m := range sdkModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			g := Start(t, Options{TLS: m.tls, NoFsync: true})
			f(t, &sdkEnv{g: g, c: S3Client(t, g, m.opts, checkResponses(t))})
		})
	}
}

var bucketSeq atomic.Int64

// newBucket creates a fresh bucket with a unique, valid name.
func newBucket(t testing.TB, c *s3.Client) string {
	t.Helper()
	b := fmt.Sprintf("b%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1))
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", b, err)
	}
	return b
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return c
}

// put stores body under bucket/key and fails the test on error.
func put(t testing.TB, c *s3.Client, bucket, key string, body []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

// get reads bucket/key whole.
func get(t testing.TB, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s: reading body: %v", bucket, key, err)
	}
	return b
}

// wantAPIError checks that err is an S3 error with the given code (if not
// "") and HTTP status (if not 0).
func wantAPIError(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s (%d), got success", code, status)
	}
	var ae smithy.APIError
	if code != "" {
		if !errors.As(err, &ae) {
			t.Fatalf("want S3 error %s, got %v", code, err)
		}
		if ae.ErrorCode() != code {
			t.Fatalf("want error code %s, got %s (%v)", code, ae.ErrorCode(), err)
		}
	}
	if status != 0 {
		var re *awshttp.ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("want HTTP status %d, got %v", status, err)
		}
		if re.HTTPStatusCode() != status {
			t.Fatalf("want HTTP status %d, got %d (%v)", status, re.HTTPStatusCode(), err)
		}
	}
}

// httpStatus is the HTTP status of an SDK error, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// quoted returns s in double quotes, as ETags travel.
func quoted(s string) string { return `"` + strings.Trim(s, `"`) + `"` }

// rawDo sends req with the gateway's HTTP client and returns the response
// with its body read.
func rawDo(t testing.TB, g *Gateway, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	// Each call has its own transport: close its connection when done,
	// or a caller polling in a loop piles up idle connections until the
	// gateway's per-address limit resets new ones.
	c := g.HTTPClient()
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp, b
}

// checkXMLError checks a raw response is an S3 XML error with code.
func checkXMLError(t testing.TB, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Errorf("error Content-Type %q, want application/xml", ct)
	}
	if resp.Header.Get("x-amz-request-id") == "" {
		t.Errorf("error response without x-amz-request-id")
	}
	if code != "" && !bytes.Contains(body, []byte("<Code>"+code+"</Code>")) {
		t.Fatalf("body %s does not carry <Code>%s</Code>", body, code)
	}
}

// checkResponses wraps the SDK's HTTP client so that every response is
// checked for what S3 promises on all of them: an x-amz-request-id, and
// Content-Type application/xml on errors that carry a body.
func checkResponses(t testing.TB) func(*s3.Options) {
	return func(o *s3.Options) {
		inner := o.HTTPClient.(*http.Client)
		c := *inner
		c.Transport = checkingTransport{t: t, next: inner.Transport}
		o.HTTPClient = &c
	}
}

type checkingTransport struct {
	t    testing.TB
	next http.RoundTripper
}

func (ct checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	what := req.Method + " " + req.URL.RequestURI()
	if resp.Header.Get("x-amz-request-id") == "" {
		ct.t.Errorf("%s: %d response without x-amz-request-id", what, resp.StatusCode)
	}
	if resp.StatusCode >= 400 && req.Method != http.MethodHead {
		if typ := resp.Header.Get("Content-Type"); !strings.HasPrefix(typ, "application/xml") {
			ct.t.Errorf("%s: %d error with Content-Type %q, want application/xml", what, resp.StatusCode, typ)
		}
	}
	return resp, nil
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// signed builds a request to the gateway signed with SigV4 in the
// Authorization header. path is the escaped path ("/bucket/key"); body may
// be nil. payloadHash "" means the hex SHA-256 of body.
func signed(t testing.TB, g *Gateway, method, path string, query url.Values, body []byte, payloadHash string, hdr http.Header) *http.Request {
	t.Helper()
	u := g.Endpoint + path
	if len(query) > 0 {
		u += "?" + strings.ReplaceAll(query.Encode(), "+", "%20")
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if payloadHash == "" {
		sum := sha256.Sum256(body)
		payloadHash = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := aws.Credentials{AccessKeyID: g.AccessKey, SecretAccessKey: g.SecretKey}
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), creds, req, payloadHash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// escapeKey escapes an object key for a request path, keeping its slashes.
func escapeKey(key string) string {
	return strings.ReplaceAll(url.PathEscape(key), "%2F", "/")
}
