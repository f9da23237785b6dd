package testharness

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestAuthErrors: requests that must not pass authentication get the
// right S3 error, as XML with a request ID, and change nothing.
func TestAuthErrors(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	body := []byte("authenticated body")

	wrongSecret := &Gateway{Endpoint: g.Endpoint, AccessKey: g.AccessKey, SecretKey: "not-the-secret-key-at-all-000000000000000"}
	resp, rb := rawDo(t, g, signed(t, wrongSecret, "PUT", "/"+b+"/k", nil, body, "", nil))
	checkXMLError(t, resp, rb, http.StatusForbidden, "SignatureDoesNotMatch")

	unknown := &Gateway{Endpoint: g.Endpoint, AccessKey: "UNKNOWNACCESSKEY0000", SecretKey: g.SecretKey}
	resp, rb = rawDo(t, g, signed(t, unknown, "PUT", "/"+b+"/k", nil, body, "", nil))
	checkXMLError(t, resp, rb, http.StatusForbidden, "InvalidAccessKeyId")

	resp, rb = rawDo(t, g, mustRequest(t, "PUT", g.Endpoint+"/"+b+"/k", body))
	checkXMLError(t, resp, rb, http.StatusForbidden, "AccessDenied")
	resp, rb = rawDo(t, g, mustRequest(t, "GET", g.Endpoint+"/", nil))
	checkXMLError(t, resp, rb, http.StatusForbidden, "AccessDenied")

	// The payload hash is verified: a body that does not match.
	req := signed(t, g, "PUT", "/"+b+"/k", nil, body, sha256Hex([]byte("other body")), nil)
	resp, rb = rawDo(t, g, req)
	checkXMLError(t, resp, rb, http.StatusBadRequest, "XAmzContentSHA256Mismatch")

	// A request signed 20 minutes ago is outside the 15-minute window.
	req, _ = http.NewRequest("GET", g.Endpoint+"/"+b, nil)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	creds := aws.Credentials{AccessKeyID: g.AccessKey, SecretAccessKey: g.SecretKey}
	v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "s3", "us-east-1", time.Now().Add(-20*time.Minute))
	resp, rb = rawDo(t, g, req)
	checkXMLError(t, resp, rb, http.StatusForbidden, "RequestTimeTooSkewed")
	// ... while 5 minutes is within it.
	req, _ = http.NewRequest("GET", g.Endpoint+"/"+b, nil)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "s3", "us-east-1", time.Now().Add(-5*time.Minute))
	if resp, rb = rawDo(t, g, req); resp.StatusCode != 200 {
		t.Errorf("request signed 5 minutes ago: %d %s", resp.StatusCode, rb)
	}

	// A header added after signing, that was signed, breaks the signature.
	req = signed(t, g, "PUT", "/"+b+"/k", nil, body, "", http.Header{"X-Amz-Meta-A": {"1"}})
	req.Header.Set("X-Amz-Meta-A", "2")
	resp, rb = rawDo(t, g, req)
	checkXMLError(t, resp, rb, http.StatusForbidden, "SignatureDoesNotMatch")

	_, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
	wantAPIError(t, err, "", http.StatusNotFound)
}

// TestBodyForms: the plain body forms that are not aws-chunked —
// UNSIGNED-PAYLOAD, a signed SHA-256, Expect: 100-continue — and
// Content-MD5 on the wire.
func TestBodyForms(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	body := Data(12, 300000)

	resp, rb := rawDo(t, g, signed(t, g, "PUT", "/"+b+"/unsigned", nil, body, "UNSIGNED-PAYLOAD", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("UNSIGNED-PAYLOAD PUT: %d %s", resp.StatusCode, rb)
	}
	resp, rb = rawDo(t, g, signed(t, g, "PUT", "/"+b+"/sha", nil, body, "", http.Header{"Content-Md5": {md5b64(body)}}))
	if resp.StatusCode != 200 {
		t.Fatalf("signed-payload PUT with Content-MD5: %d %s", resp.StatusCode, rb)
	}
	req := signed(t, g, "PUT", "/"+b+"/expect", nil, body, "", http.Header{"Expect": {"100-continue"}})
	tr := g.transport()
	tr.ExpectContinueTimeout = 5 * time.Second
	hc := &http.Client{Transport: tr}
	r, err := hc.Do(req)
	if err != nil {
		t.Fatalf("PUT with Expect: 100-continue: %v", err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("PUT with Expect: 100-continue: %d", r.StatusCode)
	}
	// A refused request with Expect: 100-continue is answered before the
	// body is sent.
	req = signed(t, g, "PUT", "/no-such-bucket-here/x", nil, body, "", http.Header{"Expect": {"100-continue"}})
	if r, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusNotFound {
		t.Errorf("PUT with Expect: 100-continue to a missing bucket: %d", r.StatusCode)
	}
	for _, k := range []string{"unsigned", "sha", "expect"} {
		if got := get(t, c, b, k); !bytes.Equal(got, body) {
			t.Errorf("%s: stored bytes differ", k)
		}
	}
}

// TestVirtualHostStyle: with --domain, bucket.domain addresses a bucket
// (the SDK's default addressing), alongside path style.
func TestVirtualHostStyle(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, Args: []string{"--domain", "s3.envelopegw.test"}})
	_, port, _ := net.SplitHostPort(g.Addr)
	// Every name resolves to the gateway: no DNS needed.
	dialGateway := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, g.Addr)
	}
	vh := S3Client(t, g, S3Options{}, func(o *s3.Options) {
		o.UsePathStyle = false
		o.BaseEndpoint = aws.String("http://s3.envelopegw.test:" + port)
		tr := g.transport()
		tr.DialContext = dialGateway
		o.HTTPClient = &http.Client{Transport: tr}
	}, checkResponses(t))
	path := S3Client(t, g, S3Options{})
	b := "vhost-bucket"
	if _, err := vh.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatalf("CreateBucket virtual-host style: %v", err)
	}
	put(t, vh, b, "dir/k ü", []byte("virtual"))
	if got := get(t, path, b, "dir/k ü"); string(got) != "virtual" {
		t.Errorf("path style reads %q", got)
	}
	put(t, path, b, "p", []byte("path"))
	if got := get(t, vh, b, "p"); string(got) != "path" {
		t.Errorf("virtual-host style reads %q", got)
	}
	l, err := vh.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil || len(l.Contents) != 2 {
		t.Errorf("virtual-host listing: %v, %d objects", err, len(l.Contents))
	}
	_, err = vh.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("other-bucket"), Key: aws.String("k")})
	wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
	lb, err := vh.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 {
		t.Errorf("ListBuckets on the bare domain: %v %+v", err, lb)
	}
}

// TestResponseBasics: every answer carries x-amz-request-id (unique), every
// error is S3 XML, and requests the API does not know are refused cleanly.
func TestResponseBasics(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("x"))
	seen := map[string]bool{}
	for _, r := range []struct {
		method, path string
		query        url.Values
		status       int
		code         string
	}{
		{"GET", "/", nil, 200, ""},
		{"HEAD", "/" + b, nil, 200, ""},
		{"GET", "/" + b + "/k", nil, 200, ""},
		{"HEAD", "/" + b + "/k", nil, 200, ""},
		{"GET", "/" + b + "/missing", nil, 404, "NoSuchKey"},
		{"HEAD", "/" + b + "/missing", nil, 404, ""},
		{"GET", "/no-such-bucket-here", nil, 404, "NoSuchBucket"},
		{"GET", "/" + b, url.Values{"list-type": {"2"}, "max-keys": {"-1"}}, 400, "InvalidArgument"},
		{"GET", "/" + b + "/k", url.Values{"partNumber": {"x"}}, 400, "InvalidArgument"},
		{"PATCH", "/" + b + "/k", nil, 405, "MethodNotAllowed"},
		{"GET", "/" + b + "/k", url.Values{"uploadId": {"nope"}}, 404, "NoSuchUpload"},
		{"PUT", "/" + b + "/k", url.Values{"partNumber": {"1"}, "uploadId": {"nope"}}, 404, "NoSuchUpload"},
		{"DELETE", "/" + b, nil, 409, "BucketNotEmpty"},
	} {
		name := fmt.Sprintf("%s %s?%s", r.method, r.path, r.query.Encode())
		resp, body := rawDo(t, g, signed(t, g, r.method, r.path, r.query, nil, "", nil))
		id := resp.Header.Get("x-amz-request-id")
		if id == "" || seen[id] {
			t.Errorf("%s: x-amz-request-id %q (missing or reused)", name, id)
		}
		seen[id] = true
		if resp.StatusCode != r.status {
			t.Errorf("%s: status %d, want %d (%s)", name, resp.StatusCode, r.status, body)
			continue
		}
		if resp.StatusCode >= 400 && r.method != "HEAD" {
			checkXMLError(t, resp, body, resp.StatusCode, r.code)
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") && len(body) > 0 && !bytes.HasPrefix(body, []byte("<?xml")) && !bytes.HasPrefix(body, []byte("<")) {
			t.Errorf("%s: XML content type with a body that is not XML: %q", name, body)
		}
	}
}
