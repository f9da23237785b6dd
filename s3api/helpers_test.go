package s3api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAK     = "AKIDTESTHANDLER"
	testSK     = "secret/for/the/handler/tests"
	testRegion = "us-east-1"
)

type staticCreds map[string]string

func (c staticCreds) SecretKey(ak string) (string, bool) { s, ok := c[ak]; return s, ok }

// testEnv is a handler over a fakeService, with a clock the signer shares.
type testEnv struct {
	t    *testing.T
	svc  *fakeService
	h    http.Handler
	now  time.Time
	logs *bytes.Buffer
	// region is the endpoint's region, which every signature names.
	region string
}

func newEnv(t *testing.T, mod ...func(*Config)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, svc: newFakeService(), now: time.Now().UTC().Truncate(time.Second), logs: &bytes.Buffer{}}
	cfg := Config{
		Service:     e.svc,
		Credentials: staticCreds{testAK: testSK},
		Domains:     []string{"s3.test"},
		Logger:      slog.New(slog.NewTextHandler(e.logs, nil)),
		Now:         func() time.Time { return e.now },
	}
	for _, m := range mod {
		m(&cfg)
	}
	e.h = NewHandler(cfg)
	e.region = testRegion
	if cfg.Region != "" {
		e.region = cfg.Region
	}
	return e
}

// req describes a test request.
type req struct {
	method, target string // target: path and query, or a full URL
	body           []byte
	header         map[string]string
	payloadHash    string // x-amz-content-sha256 to sign; "" = hex of body
	unsigned       bool
	noLength       bool // send the body without Content-Length
	host           string
}

func (e *testEnv) newRequest(q req) *http.Request {
	e.t.Helper()
	target := q.target
	if !strings.HasPrefix(target, "http") {
		target = "http://127.0.0.1:9000" + target
	}
	var body io.Reader = http.NoBody
	if q.body != nil {
		body = bytes.NewReader(q.body)
	}
	r := httptest.NewRequest(q.method, target, body)
	if q.body == nil {
		r.ContentLength = 0
	}
	if q.noLength {
		r.ContentLength = -1
	}
	if q.host != "" {
		r.Host = q.host
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	if q.unsigned {
		return r
	}
	ph := q.payloadHash
	if ph == "" {
		s := sha256.Sum256(q.body)
		ph = hex.EncodeToString(s[:])
	}
	r.Header.Set("X-Amz-Content-Sha256", ph)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
	if err := signer.SignHTTP(context.Background(), creds, r, ph, "s3", e.region, e.now); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// do serves q and returns the recorded response. A handler abort
// (http.ErrAbortHandler) is reported as aborted.
func (e *testEnv) do(q req) (w *httptest.ResponseRecorder, aborted bool) {
	e.t.Helper()
	return e.serve(e.newRequest(q))
}

func (e *testEnv) serve(r *http.Request) (w *httptest.ResponseRecorder, aborted bool) {
	w = httptest.NewRecorder()
	func() {
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler {
					panic(p)
				}
				aborted = true
			}
		}()
		e.h.ServeHTTP(w, r)
	}()
	return w, aborted
}

// ok serves q and fails the test unless the status is want.
func (e *testEnv) ok(q req, want int) *httptest.ResponseRecorder {
	e.t.Helper()
	w, aborted := e.do(q)
	if aborted {
		e.t.Fatalf("%s %s: aborted", q.method, q.target)
	}
	if w.Code != want {
		e.t.Fatalf("%s %s: status %d, want %d; body: %s", q.method, q.target, w.Code, want, w.Body.String())
	}
	return w
}

// fails serves q and checks the S3 error answer.
func (e *testEnv) fails(q req, status int, code string) *httptest.ResponseRecorder {
	e.t.Helper()
	w, aborted := e.do(q)
	if aborted {
		e.t.Fatalf("%s %s: aborted", q.method, q.target)
	}
	checkError(e.t, q.method, w, status, code)
	return w
}

func checkError(t *testing.T, method string, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body: %s", w.Code, status, w.Body.String())
	}
	if w.Header().Get("x-amz-request-id") == "" || w.Header().Get("x-amz-id-2") == "" {
		t.Errorf("error response without request IDs")
	}
	if method == http.MethodHead {
		if w.Body.Len() != 0 {
			t.Errorf("HEAD error with a body: %q", w.Body.String())
		}
		return
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/xml" {
		t.Errorf("Content-Type %q, want application/xml", ct)
	}
	var doc struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		Resource  string
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("error body is not S3 error XML: %v: %s", err, w.Body.String())
	}
	if doc.Code != code {
		t.Fatalf("error code %q, want %q (message %q)", doc.Code, code, doc.Message)
	}
	if doc.Message == "" || doc.RequestID != w.Header().Get("x-amz-request-id") {
		t.Errorf("error document lacks a message or the request ID: %+v", doc)
	}
}

func decodeXML(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/xml" {
		t.Errorf("Content-Type %q, want application/xml", ct)
	}
	if err := xml.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("decoding %T: %v\n%s", v, err, w.Body.String())
	}
}

// mkBucket creates a bucket through the handler.
func (e *testEnv) mkBucket(name string) {
	e.t.Helper()
	e.ok(req{method: "PUT", target: "/" + name}, 200)
}

// put stores an object through the handler.
func (e *testEnv) put(bucket, key string, data []byte, hdr map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.ok(req{method: "PUT", target: "/" + bucket + "/" + key, body: data, header: hdr}, 200)
}

var errEOF = io.EOF

// newPresigner returns a function that presigns r as a GET URL valid for
// the given duration from signing time t.
func newPresigner() func(r *http.Request, t time.Time, d time.Duration) (string, error) {
	return func(r *http.Request, t time.Time, d time.Duration) (string, error) {
		q := r.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(d.Seconds())))
		r.URL.RawQuery = q.Encode()
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
		u, _, err := signer.PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "s3", testRegion, t)
		return u, err
	}
}
