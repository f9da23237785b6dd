package testharness

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
)

// wantBody checks a raw error answer: status, code, exact message and the
// further elements S3 puts in the document.
func wantBody(t *testing.T, what string, resp *http.Response, body []byte, status int, code, msg string, elems ...string) {
	t.Helper()
	if resp.StatusCode != status || !strings.Contains(string(body), "<Code>"+code+"</Code>") {
		t.Errorf("%s: %d %s, want %d %s", what, resp.StatusCode, body, status, code)
		return
	}
	if msg != "" && !strings.Contains(string(body), "<Message>"+xmlEscape(msg)+"</Message>") {
		t.Errorf("%s: message in %s, want %q", what, body, msg)
	}
	for _, e := range elems {
		if !strings.Contains(string(body), e) {
			t.Errorf("%s: %s lacks %s", what, body, e)
		}
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestAuthRegion: a SigV4 scope must name the endpoint's --region, as on
// S3; the answer names the expected region so that a client can re-sign.
func TestAuthRegion(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, Args: []string{"--region", "eu-central-1"}})
	right := S3Client(t, g, S3Options{}, func(o *s3.Options) { o.Region = "eu-central-1" })
	if _, err := right.ListBuckets(ctx(t), &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("client in the endpoint's region: %v", err)
	}
	b := newBucket(t, right)
	put(t, right, b, "k", []byte("data"))

	wrong := S3Client(t, g, S3Options{}) // us-east-1
	_, err := wrong.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	wantMessage(t, "GetObject signed for us-east-1", err, "AuthorizationHeaderMalformed",
		"The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'")

	// The document carries the expected region.
	req, _ := http.NewRequest(http.MethodGet, g.Endpoint+"/"+b+"/k", nil)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	creds := aws.Credentials{AccessKeyID: g.AccessKey, SecretAccessKey: g.SecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "s3", "us-west-2", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, body := rawDo(t, g, req)
	wantBody(t, "raw GET signed for us-west-2", resp, body, 400, "AuthorizationHeaderMalformed",
		"The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'eu-central-1'", "<Region>eu-central-1</Region>")

	// A presigned URL for another region: the query form of the refusal.
	ps, err := s3.NewPresignClient(wrong).PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, ps.URL, nil)
	resp, body = rawDo(t, g, req)
	wantBody(t, "presigned for us-east-1", resp, body, 400, "AuthorizationQueryParametersError",
		"Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; expecting 'eu-central-1'", "<Region>eu-central-1</Region>")
	ps, err = s3.NewPresignClient(right).PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, ps.URL, nil)
	if resp, body = rawDo(t, g, req); resp.StatusCode != 200 || string(body) != "data" {
		t.Errorf("presigned in the right region: %d %s", resp.StatusCode, body)
	}

	// minio-go signs its aws-chunked uploads chunk by chunk in the
	// client's region: the right one round-trips.
	mc := MinioClient(t, g, func(o *minio.Options) { o.Region = "eu-central-1" })
	data := strings.Repeat("z", 70000)
	if _, err := mc.PutObject(ctx(t), b, "chunked", strings.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("minio-go PutObject in the endpoint's region: %v", err)
	}
	if got := get(t, right, b, "chunked"); string(got) != data {
		t.Errorf("minio-go upload read back %d bytes", len(got))
	}
}

// TestAuthWording: a malformed SigV4 header or presigned URL is answered
// with S3's own sentence (raw HTTP: no SDK sends these forms).
func TestAuthWording(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("data"))

	withAuth := func(mod func(string) string) (*http.Response, []byte) {
		req := signed(t, g, http.MethodGet, "/"+b+"/k", nil, nil, "", nil)
		req.Header.Set("Authorization", mod(req.Header.Get("Authorization")))
		return rawDo(t, g, req)
	}
	cred := regexp.MustCompile(`Credential=[^,]+,`)
	setCred := func(v string) func(string) string {
		return func(h string) string { return cred.ReplaceAllString(h, "Credential="+v+",") }
	}
	for _, tc := range []struct {
		name   string
		mod    func(string) string
		status int
		code   string
		msg    string
		elems  []string
	}{
		{"no space", func(string) string { return "invalid_header" }, 400, "InvalidArgument",
			"Authorization header is invalid -- one and only one ' ' (space) required.", []string{"<ArgumentName>Authorization</ArgumentName>"}},
		{"unknown scheme", func(h string) string { return strings.Replace(h, "AWS4-HMAC-SHA256", "AWS2-HMAC-SHA1", 1) }, 400, "InvalidArgument",
			"Unsupported Authorization Type", []string{"<ArgumentName>Authorization</ArgumentName>"}},
		{"two components", func(h string) string { return regexp.MustCompile(`SignedHeaders=[^,]+, ?`).ReplaceAllString(h, "") }, 400, "AuthorizationHeaderMalformed",
			"The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.", nil},
		{"no Signature", func(h string) string { return strings.Replace(h, "Signature=", "Sig=", 1) }, 400, "AuthorizationHeaderMalformed",
			"The authorization header is malformed; missing Signature.", nil},
		{"scope", setCred(g.AccessKey + "/2026/us-east-1/s3/extra/parts"), 400, "AuthorizationHeaderMalformed",
			`The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`, nil},
		{"terminal", setCred(g.AccessKey + "/2026/us-east-1/s3/aws_request"), 400, "AuthorizationHeaderMalformed",
			`The authorization header is malformed; incorrect terminal "aws_request". This endpoint uses "aws4_request".`, nil},
		{"service", setCred(g.AccessKey + "/2026/us-east-1/ec2/aws4_request"), 400, "AuthorizationHeaderMalformed",
			`The authorization header is malformed; incorrect service "ec2". This endpoint belongs to "s3".`, nil},
		{"date", setCred(g.AccessKey + "/3223423234/us-east-1/s3/aws4_request"), 400, "AuthorizationHeaderMalformed",
			`The authorization header is malformed; incorrect date format "3223423234". This date in the credential must be in the format "yyyyMMdd".`, nil},
		{"unknown key", func(h string) string {
			return strings.Replace(h, "Credential="+g.AccessKey, "Credential=AKIDNOSUCHKEY", 1)
		}, 403, "InvalidAccessKeyId",
			"The AWS Access Key Id you provided does not exist in our records.", []string{"<AWSAccessKeyId>AKIDNOSUCHKEY</AWSAccessKeyId>"}},
		{"wrong signature", func(h string) string { return h[:len(h)-4] + "0000" }, 403, "SignatureDoesNotMatch",
			"", []string{"<AWSAccessKeyId>" + g.AccessKey + "</AWSAccessKeyId>"}},
	} {
		resp, body := withAuth(tc.mod)
		wantBody(t, tc.name, resp, body, tc.status, tc.code, tc.msg, tc.elems...)
	}

	// Unsigned x-amz-* headers are listed.
	req := signed(t, g, http.MethodPut, "/"+b+"/k2", nil, nil, "", nil)
	req.Header.Set("X-Amz-Tagging", "a=b")
	req.Header.Set("X-Amz-Copy-Source", b+"/k")
	resp, body := rawDo(t, g, req)
	wantBody(t, "unsigned headers", resp, body, 403, "AccessDenied", "There were headers present in the request which were not signed",
		"<HeadersNotSigned>x-amz-copy-source, x-amz-tagging</HeadersNotSigned>")

	// A payload hash that is no hash, and one that does not match.
	resp, body = rawDo(t, g, signed(t, g, http.MethodPut, "/"+b+"/k3", nil, []byte("x"), "invalid_sha256", nil))
	wantBody(t, "payload hash not a hash", resp, body, 400, "InvalidArgument", "",
		"<ArgumentName>x-amz-content-sha256</ArgumentName>", "<ArgumentValue>invalid_sha256</ArgumentValue>")
	resp, body = rawDo(t, g, signed(t, g, http.MethodPut, "/"+b+"/k3", nil, []byte("x"), emptySHA256, nil))
	wantBody(t, "payload hash mismatch", resp, body, 400, "XAmzContentSHA256Mismatch", "",
		"<ClientComputedContentSHA256>"+emptySHA256+"</ClientComputedContentSHA256>",
		"<S3ComputedContentSHA256>2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881</S3ComputedContentSHA256>")

	// Presigned URLs.
	ps, err := s3.NewPresignClient(c).PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	presigned := func(mod func(url.Values)) (*http.Response, []byte) {
		u, _ := url.Parse(ps.URL)
		q := u.Query()
		mod(q)
		u.RawQuery = q.Encode()
		req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
		return rawDo(t, g, req)
	}
	setParam := func(k, v string) func(url.Values) { return func(q url.Values) { q.Set(k, v) } }
	day := time.Now().UTC().Format("20060102")
	for _, tc := range []struct {
		name string
		mod  func(url.Values)
		msg  string
	}{
		{"missing", func(q url.Values) { q.Del("X-Amz-SignedHeaders") },
			"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."},
		{"algorithm", setParam("X-Amz-Algorithm", "AWS4-SHA256"), `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"`},
		{"sigv4a", setParam("X-Amz-Algorithm", "AWS4-ECDSA-P256-SHA256"), `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`},
		{"credential", setParam("X-Amz-Credential", "access/hello/world"),
			`Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		{"service", setParam("X-Amz-Credential", g.AccessKey+"/"+day+"/us-east-1/sns/aws4_request"),
			`Error parsing the X-Amz-Credential parameter; incorrect service "sns". This endpoint belongs to "s3".`},
		{"dates", setParam("X-Amz-Credential", g.AccessKey+"/20060102/us-east-1/s3/aws4_request"),
			`Invalid credential date "20060102". This date is not the same as X-Amz-Date: "` + day + `".`},
	} {
		resp, body := presigned(tc.mod)
		wantBody(t, "presigned "+tc.name, resp, body, 400, "AuthorizationQueryParametersError", tc.msg)
	}
	resp, body = presigned(setParam("X-Amz-Security-Token", "my_token"))
	wantBody(t, "presigned with a session token", resp, body, 400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
	// An SDK holding temporary credentials sends the token as a header.
	tc := S3Client(t, g, S3Options{}, func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(g.AccessKey, g.SecretKey, "session-token")
	})
	_, err = tc.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: &b})
	wantAPIError(t, err, "", 400)
	_, err = tc.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	wantMessage(t, "ListBuckets with a session token", err, "InvalidToken", "The provided token is malformed or otherwise invalid.")
	resp, body = presigned(setParam("X-Amz-Credential", "AKIDNOSUCHKEY/"+day+"/us-east-1/s3/aws4_request"))
	wantBody(t, "presigned unknown key", resp, body, 403, "InvalidAccessKeyId", "", "<AWSAccessKeyId>AKIDNOSUCHKEY</AWSAccessKeyId>")
}

// TestShapeBeforeAuth: requests no operation takes are answered as S3
// answers them, signed or anonymous (raw HTTP: no SDK sends them).
func TestShapeBeforeAuth(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	for _, tc := range []struct {
		method, path string
		query        url.Values
		copySource   bool
		status       int
		code         string
	}{
		{"POST", "/", nil, false, 405, "MethodNotAllowed"},
		{"POST", "/bkt/obj", nil, false, 405, "MethodNotAllowed"},
		{"PUT", "/bkt/obj", url.Values{"uploadId": {"u"}}, false, 405, "MethodNotAllowed"},
		{"PUT", "/bkt/obj", url.Values{"partNumber": {"1"}}, false, 400, "InvalidArgument"},
		{"GET", "/bkt/obj", url.Values{"uploads": {""}}, false, 400, "InvalidRequest"},
		{"GET", "/bkt/obj", url.Values{"versions": {""}}, false, 400, "InvalidRequest"},
		{"DELETE", "/bkt/obj", nil, true, 400, "InvalidArgument"},
		{"POST", "/bkt", url.Values{"uploadId": {"u"}}, true, 400, "InvalidArgument"},
	} {
		hdr := http.Header{}
		if tc.copySource {
			hdr.Set("X-Amz-Copy-Source", "src/key")
		}
		req := signed(t, g, tc.method, tc.path, tc.query, nil, "", hdr)
		resp, body := rawDo(t, g, req)
		wantBody(t, "signed "+tc.method+" "+req.URL.RequestURI(), resp, body, tc.status, tc.code, "")
		anon, _ := http.NewRequest(tc.method, req.URL.String(), nil)
		anon.Header = hdr
		resp, body = rawDo(t, g, anon)
		wantBody(t, "anonymous "+tc.method+" "+req.URL.RequestURI(), resp, body, tc.status, tc.code, "")
	}
}
