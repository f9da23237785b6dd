package s3api

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// These tests pin down that a signature authorizes exactly the request it
// was made for: each replays a valid signature on a changed request that
// would do something else, and expects a refusal with nothing done.

func presignURL(t *testing.T, e *testEnv, method, target string) string {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1:9000"+target, nil)
	q := r.URL.Query()
	q.Set("X-Amz-Expires", "3600")
	r.URL.RawQuery = q.Encode()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	u, _, err := signer.PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}, r, "UNSIGNED-PAYLOAD", "s3", testRegion, e.now)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func signV2(sts string) string {
	m := hmac.New(sha1.New, []byte(testSK))
	m.Write([]byte(sts))
	return "AWS " + testAK + ":" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// A presigned PUT (which signs only host) must not become a CopyObject
// when an unsigned x-amz-copy-source is added.
func TestUnsignedAmzHeaderRefused(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("pub")
	e.mkBucket("private")
	e.put("private", "secret", []byte("TOPSECRET"), nil)
	u := presignURL(t, e, "PUT", "/pub/avatar.png")

	r := httptest.NewRequest("PUT", u, strings.NewReader(""))
	r.Header.Set("x-amz-copy-source", "/private/secret")
	if w, _ := e.serve(r); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "AccessDenied") {
		t.Errorf("unsigned x-amz-copy-source: %d %s, want 403 AccessDenied", w.Code, w.Body.String())
	}
	if o, err := e.svc.object("pub", "avatar.png"); err == nil {
		t.Fatalf("the presigned PUT became a copy: pub/avatar.png = %q", o.data)
	}
	// The same URL without the extra header still works.
	if w, _ := e.serve(httptest.NewRequest("PUT", u, strings.NewReader("ok"))); w.Code != http.StatusOK {
		t.Fatalf("presigned PUT as signed: %d %s", w.Code, w.Body.String())
	}
}

// A signed parameter must not vanish between auth and routing: url.Query
// drops a pair holding a raw ';', the canonical query keeps it.
func TestMalformedQueryRefused(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "page.html", []byte("<script>x</script>"), nil)
	u := presignURL(t, e, "GET", "/bkt/page.html?response-content-disposition="+url.QueryEscape("attachment; filename=x.html"))
	if w, _ := e.serve(httptest.NewRequest("GET", u, nil)); w.Code != http.StatusOK || w.Header().Get("Content-Disposition") == "" {
		t.Fatalf("presigned GET as signed: %d, Content-Disposition %q", w.Code, w.Header().Get("Content-Disposition"))
	}
	tampered := strings.Replace(u, "%3B", ";", 1)
	if tampered == u {
		t.Fatal("the presigned URL has no %3B to tamper with: " + u)
	}
	if w, _ := e.serve(httptest.NewRequest("GET", tampered, nil)); w.Code != http.StatusBadRequest {
		t.Errorf("query with a raw ';': %d (Content-Disposition %q), want 400", w.Code, w.Header().Get("Content-Disposition"))
	}
}

// A SigV2 signature for "abort upload X of key k" must not delete the
// object named "k?uploadId=X".
func TestV2EscapedQuestionMarkIsNotASubresource(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.ok(req{method: "PUT", target: "/bkt/k%3FuploadId=X", body: []byte("victim")}, 200)
	date := e.now.Format(http.TimeFormat)
	r := httptest.NewRequest("DELETE", "http://127.0.0.1:9000/bkt/k%3FuploadId=X", nil)
	r.Header.Set("Date", date)
	r.Header.Set("Authorization", signV2("DELETE\n\n\n"+date+"\n/bkt/k?uploadId=X"))
	if w, _ := e.serve(r); w.Code != http.StatusForbidden {
		t.Errorf("replayed abort signature: %d %s, want 403", w.Code, w.Body.String())
	}
	if _, err := e.svc.object("bkt", "k?uploadId=X"); err != nil {
		t.Fatalf("an abort-upload signature deleted the object %q", "k?uploadId=X")
	}
}

// SigV2's lower-cased-values tolerance (for xbcloud) must not let a
// signature for /src/secret copy /src/SECRET; a case-insensitive header
// such as x-amz-storage-class keeps the tolerance.
func TestV2LowercaseToleranceIsBounded(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("src")
	e.mkBucket("dst")
	e.put("src", "secret", []byte("lower"), nil)
	e.put("src", "SECRET", []byte("UPPER"), nil)
	date := e.now.Format(http.TimeFormat)
	r := httptest.NewRequest("PUT", "http://127.0.0.1:9000/dst/k", nil)
	r.Header.Set("Date", date)
	r.Header.Set("x-amz-copy-source", "/src/SECRET")
	r.Header.Set("Authorization", signV2("PUT\n\n\n"+date+"\nx-amz-copy-source:/src/secret\n/dst/k"))
	if w, _ := e.serve(r); w.Code != http.StatusForbidden {
		t.Errorf("copy signed for /src/secret sent for /src/SECRET: %d, want 403", w.Code)
	}
	if o, err := e.svc.object("dst", "k"); err == nil {
		t.Fatalf("copied %q under a signature for another source", o.data)
	}

	// xbcloud's form: storage class sent upper case, signed lower case.
	r = httptest.NewRequest("PUT", "http://127.0.0.1:9000/dst/x", strings.NewReader("chunk"))
	r.Header.Set("Date", date)
	r.Header.Set("X-Amz-Storage-Class", "STANDARD")
	r.Header.Set("Authorization", signV2("PUT\n\n\n"+date+"\nx-amz-storage-class:standard\n/dst/x"))
	if w, _ := e.serve(r); w.Code != http.StatusOK {
		t.Fatalf("xbcloud-style lower-cased storage class: %d %s", w.Code, w.Body.String())
	}
}
