package testharness

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"envelopegw/backend/s3/s3test"
)

// TestSDKBucketCors: Put/Get/DeleteBucketCors with the aws-sdk-go-v2,
// the browser's preflight as a browser sends it (unsigned OPTIONS, raw
// HTTP), and the Access-Control-* headers on signed requests that carry
// Origin; on the posix volume.
func TestSDKBucketCors(t *testing.T) {
	t.Parallel()
	bucketCorsRoundTrip(t, Start(t, Options{NoFsync: true}))
}

// TestUpstreamBucketCors: the same through a gateway on an upstream S3
// server (MinIO).
func TestUpstreamBucketCors(t *testing.T) {
	t.Parallel()
	bucketCorsRoundTrip(t, Start(t, Options{Upstream: s3test.SharedMinIO(t)}))
}

func bucketCorsRoundTrip(t *testing.T, g *Gateway) {
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	preflight := func(path, origin, method, headers string) (*http.Response, string) {
		t.Helper()
		r, err := http.NewRequest(http.MethodOptions, g.Endpoint+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			r.Header.Set("Access-Control-Request-Headers", headers)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}

	_, err := c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: &b})
	wantAPIError(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)
	if res, body := preflight("/"+b+"/k", "https://app.example", "PUT", ""); res.StatusCode != 403 || !strings.Contains(body, "CORS is not enabled for this bucket") {
		t.Errorf("preflight without a configuration: %d %s", res.StatusCode, body)
	}

	cfg := &types.CORSConfiguration{CORSRules: []types.CORSRule{
		{ID: aws.String("web"), AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"x-amz-*", "content-type"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600)},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"HEAD"}},
	}}
	if _, err := c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: cfg}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	got, err := c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: &b})
	if err != nil {
		t.Fatalf("GetBucketCors: %v", err)
	}
	if len(got.CORSRules) != 2 || aws.ToString(got.CORSRules[0].ID) != "web" || aws.ToInt32(got.CORSRules[0].MaxAgeSeconds) != 600 ||
		strings.Join(got.CORSRules[0].AllowedHeaders, ",") != "x-amz-*,content-type" || got.CORSRules[1].AllowedOrigins[0] != "*" {
		t.Errorf("GetBucketCors: %+v", got.CORSRules)
	}

	bad := []types.CORSRule{{AllowedOrigins: []string{"https://a"}, AllowedMethods: []string{"PATCH"}}}
	_, err = c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: &types.CORSConfiguration{CORSRules: bad}})
	wantAPIError(t, err, "InvalidRequest", http.StatusBadRequest)
	_, err = c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: &b, CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{}}})
	wantAPIError(t, err, "MalformedXML", http.StatusBadRequest)

	// The browser's preflight: unsigned, answered from the rules.
	res, body := preflight("/"+b+"/dir/file.bin", "https://app.example", "PUT", "content-type,x-amz-date")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		res.Header.Get("Access-Control-Allow-Methods") != "GET, PUT" || res.Header.Get("Access-Control-Allow-Headers") != "content-type, x-amz-date" ||
		res.Header.Get("Access-Control-Max-Age") != "600" || res.Header.Get("Access-Control-Expose-Headers") != "ETag" {
		t.Errorf("granted preflight: %d %v %s", res.StatusCode, res.Header, body)
	}
	if res, body := preflight("/"+b+"/k", "https://evil.example", "PUT", ""); res.StatusCode != 403 || !strings.Contains(body, "<Code>AccessForbidden</Code>") || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of another origin: %d %s", res.StatusCode, body)
	}
	if res, _ := preflight("/"+b+"-missing/k", "https://app.example", "PUT", ""); res.StatusCode != 403 {
		t.Errorf("preflight on a missing bucket: %d, want the 403 of a bucket without CORS", res.StatusCode)
	}

	// Signed requests carrying Origin get the headers of the matching rule.
	withOrigin := func(origin string) func(*s3.Options) {
		return func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("Origin", origin))
		}
	}
	key := "dir/file.bin"
	out, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: strings.NewReader("hello")}, withOrigin("https://app.example"))
	if err != nil {
		t.Fatalf("PutObject with Origin: %v", err)
	}
	if hdr := responseHeader(out.ResultMetadata); hdr.Get("Access-Control-Allow-Origin") != "https://app.example" || hdr.Get("Access-Control-Expose-Headers") != "ETag" {
		t.Errorf("PutObject from an allowed origin: CORS headers %v", hdr)
	}
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key}, withOrigin("https://evil.example"))
	if err != nil {
		t.Fatal(err)
	}
	if hdr := responseHeader(h.ResultMetadata); hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("HEAD from any origin (the '*' HEAD rule): %v", hdr)
	}
	g2, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key}, withOrigin("https://evil.example"))
	if err != nil {
		t.Fatal(err)
	}
	g2.Body.Close()
	if hdr := responseHeader(g2.ResultMetadata); hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET from an origin no rule allows got CORS headers: %v", hdr)
	}
	// The rules never stand in for a signature.
	r, _ := http.NewRequest(http.MethodGet, g.Endpoint+"/"+b+"/"+key, nil)
	r.Header.Set("Origin", "https://app.example")
	anon, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	anon.Body.Close()
	if anon.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GET from an allowed origin: %d, want 403", anon.StatusCode)
	}

	if _, err := c.DeleteBucketCors(ctx(t), &s3.DeleteBucketCorsInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucketCors: %v", err)
	}
	_, err = c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: &b})
	wantAPIError(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)
	if res, _ := preflight("/"+b+"/k", "https://app.example", "PUT", ""); res.StatusCode != 403 {
		t.Errorf("preflight after DeleteBucketCors: %d", res.StatusCode)
	}
}

// responseHeader is the HTTP header of an SDK call's answer.
func responseHeader(md middleware.Metadata) http.Header {
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return raw.Header
	}
	return nil
}
