package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

func b64md5(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func TestRequestIDsAndLog(t *testing.T) {
	e := newEnv(t)
	w1 := e.ok(req{method: "GET", target: "/"}, 200)
	w2 := e.fails(req{method: "GET", target: "/?X-Amz-Signature=feedface"}, 400, "AuthorizationQueryParametersError")
	id1, id2 := w1.Header().Get("x-amz-request-id"), w2.Header().Get("x-amz-request-id")
	if id1 == "" || id1 == id2 || w1.Header().Get("x-amz-id-2") == "" {
		t.Errorf("request IDs %q %q", id1, id2)
	}
	log := e.logs.String()
	if !strings.Contains(log, id1) || !strings.Contains(log, "op=ListBuckets") || !strings.Contains(log, "status=200") {
		t.Errorf("log lacks the request: %s", log)
	}
	for _, secret := range []string{testSK, "Signature", "feedface", "Credential"} {
		if strings.Contains(log, secret) {
			t.Errorf("log contains %q: %s", secret, log)
		}
	}
}

func TestAuthFailures(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.fails(req{method: "GET", target: "/bkt", unsigned: true}, 403, "AccessDenied")
	e.fails(req{method: "HEAD", target: "/bkt/", unsigned: true}, 403, "AccessDenied")

	r := e.newRequest(req{method: "GET", target: "/bkt"})
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), testAK, "AKIDUNKNOWN", 1))
	w, _ := e.serve(r)
	checkError(t, "GET", w, 403, "InvalidAccessKeyId")

	r = e.newRequest(req{method: "GET", target: "/bkt"})
	r.URL.RawQuery = "prefix=x" // not what was signed
	w, _ = e.serve(r)
	checkError(t, "GET", w, 403, "SignatureDoesNotMatch")

	r = e.newRequest(req{method: "GET", target: "/bkt"})
	e.now = e.now.Add(time.Hour)
	w, _ = e.serve(r)
	checkError(t, "GET", w, 403, "RequestTimeTooSkewed")
	e.now = e.now.Add(-time.Hour)

	r = e.newRequest(req{method: "GET", target: "/bkt"})
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=garbage")
	w, _ = e.serve(r)
	checkError(t, "GET", w, 400, "AuthorizationHeaderMalformed")
}

func TestPresignedExpiry(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("hello"), nil)
	r := e.newRequest(req{method: "GET", target: "/bkt/k", unsigned: true})
	signer := newPresigner()
	u, err := signer(r, e.now, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	w := e.ok(req{method: "GET", target: u, unsigned: true}, 200)
	if w.Body.String() != "hello" {
		t.Errorf("presigned GET body %q", w.Body.String())
	}
	e.now = e.now.Add(2 * time.Minute)
	e.fails(req{method: "GET", target: u, unsigned: true}, 403, "AccessDenied")
	if w, _ := e.do(req{method: "GET", target: u, unsigned: true}); !strings.Contains(w.Body.String(), "expired") {
		t.Errorf("expiry message: %s", w.Body.String())
	}
}

func TestAuthBeforeBody(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	body := &countingReader{data: []byte("payload")}
	r := e.newRequest(req{method: "PUT", target: "/bkt/k", body: []byte("payload")})
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature=00", 1))
	r.Body = body
	w, _ := e.serve(r)
	if w.Code != 403 && w.Code != 400 {
		t.Fatalf("status %d", w.Code)
	}
	if body.reads != 0 {
		t.Errorf("the body was read %d times before auth failed", body.reads)
	}
}

type countingReader struct {
	data  []byte
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	n := copy(p, c.data)
	c.data = c.data[n:]
	if n == 0 {
		return 0, errEOF
	}
	return n, nil
}

func (c *countingReader) Close() error { return nil }

func TestVirtualHost(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "dir/k", []byte("v"), nil)

	w := e.ok(req{method: "GET", target: "http://bkt.s3.test:9000/dir/k"}, 200)
	if w.Body.String() != "v" {
		t.Errorf("virtual-host GET: %q", w.Body.String())
	}
	e.ok(req{method: "HEAD", target: "http://bkt.s3.test:9000/"}, 200)
	e.fails(req{method: "HEAD", target: "http://nope.s3.test:9000/"}, 404, "NoSuchBucket")
	// The base domain itself is path style.
	e.ok(req{method: "GET", target: "http://s3.test:9000/bkt/dir/k"}, 200)
	// localhost works both ways.
	e.ok(req{method: "GET", target: "http://localhost:9000/bkt/dir/k"}, 200)
	e.ok(req{method: "GET", target: "http://bkt.localhost:9000/dir/k"}, 200)
	// IPv6 literal.
	e.ok(req{method: "GET", target: "http://[::1]:9000/bkt/dir/k"}, 200)

	// xbcloud's DNS-style probe against an IP endpoint, or any foreign
	// host: never 2xx or 404.
	for _, host := range []string{"bkt.127.0.0.1:9000", "bkt.example.com", "example.com"} {
		for _, m := range []string{"HEAD", "GET"} {
			w, _ := e.do(req{method: m, target: "http://" + host + "/", host: host})
			if w.Code/100 == 2 || w.Code == 404 {
				t.Errorf("%s on host %s: status %d", m, host, w.Code)
			}
			if m == "GET" {
				checkError(t, m, w, 400, "InvalidRequest")
			}
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.fails(req{method: "PUT", target: "/"}, http.StatusMethodNotAllowed, "MethodNotAllowed")
	e.fails(req{method: "PATCH", target: "/bkt/k"}, http.StatusMethodNotAllowed, "MethodNotAllowed")
}

func TestHeaderSizeLimit(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.fails(req{method: "GET", target: "/bkt", header: map[string]string{"X-Big": strings.Repeat("a", MaxHeaderBytes)}}, 400, "RequestHeaderSectionTooLarge")
}

func TestInvalidNames(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	long := strings.Repeat("k", MaxKeyLength+1)
	e.fails(req{method: "PUT", target: "/bkt/" + long, body: []byte("x")}, 400, "KeyTooLongError")
	e.fails(req{method: "GET", target: "/bkt/" + long}, 400, "KeyTooLongError")
	e.put("bkt", strings.Repeat("k", MaxKeyLength), []byte("x"), nil)
	e.fails(req{method: "GET", target: "/bad!name/k"}, 400, "InvalidBucketName")
}
