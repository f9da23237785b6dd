package testharness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// awsNoRetry runs the aws CLI against g with retries off and a short read
// timeout, so that a stalled connection fails the command instead of being
// hidden by a retry after botocore's 60 s default.
func awsNoRetry(t *testing.T, g *Gateway, args ...string) (string, error) {
	t.Helper()
	c := AWSCommand(t, g, append([]string{"--cli-read-timeout", "15"}, args...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, c.Args[1:]...)
	cmd.Env = append(c.Env, "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.String(), nil
}

// TestAWSCLISyncSmallFiles syncs 200 files of 0 to 100 bytes (two of them
// empty) with the aws CLI. botocore sends every PUT with
// "Expect: 100-continue"; before the gateway answered empty ones with a
// 100 Continue, the next PUT on that connection stalled until the read
// timeout (60 s by default), which here, with retries off, fails the sync.
// The duration is logged (measured on this project's 2-core machine: about
// 2.6 s, against 61.8 s before).
func TestAWSCLISyncSmallFiles(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	dir := t.TempDir()
	want := map[string][]byte{}
	for i := range 200 {
		name := fmt.Sprintf("f%03d", i)
		data := Data(uint64(i), i%101)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		want["s/"+name] = data
	}
	if _, err := awsNoRetry(t, g, "s3", "mb", "s3://sync-small"); err != nil {
		t.Fatal(err)
	}
	// S3's bucket names have 3 to 63 characters.
	if _, err := awsNoRetry(t, g, "s3", "mb", "s3://sb"); err == nil || !strings.Contains(err.Error(), "InvalidBucketName") {
		t.Errorf("aws s3 mb s3://sb (2 characters): %v, want InvalidBucketName", err)
	}
	t0 := time.Now()
	if _, err := awsNoRetry(t, g, "s3", "sync", "--only-show-errors", dir, "s3://sync-small/s/"); err != nil {
		t.Fatal(err)
	}
	t.Logf("aws s3 sync of 200 files of 0-100 bytes: %v", time.Since(t0).Round(time.Millisecond))

	c := S3Client(t, g, S3Options{})
	var n int
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: strPtr("sync-small")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			n++
			w, ok := want[*o.Key]
			if !ok || *o.Size != int64(len(w)) {
				t.Errorf("listed %s (%d bytes), not one of the synced files", *o.Key, *o.Size)
			}
		}
	}
	if n != len(want) {
		t.Fatalf("listed %d objects, synced %d", n, len(want))
	}
	for _, k := range []string{"s/f000", "s/f001", "s/f100", "s/f101", "s/f199"} {
		if got := get(t, c, "sync-small", k); !bytes.Equal(got, want[k]) {
			t.Errorf("%s: got %d bytes, want %d", k, len(got), len(want[k]))
		}
	}
}

func strPtr(s string) *string { return &s }

// TestBoto3MetadataNames: boto3 reports user metadata under the names it
// stored (lower case, as S3 returns them), and Content-Encoding values
// come back joined with ", ".
func TestBoto3MetadataNames(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	out := Boto3(t, g, `
s3.create_bucket(Bucket="meta-names")
s3.put_object(Bucket="meta-names", Key="k", Body=b"x", Metadata={"meta1": "v1", "second-name": "v2"},
              ContentEncoding="deflate,gzip")
h = s3.head_object(Bucket="meta-names", Key="k")
g = s3.get_object(Bucket="meta-names", Key="k")
c = s3.copy_object(Bucket="meta-names", Key="k2", CopySource="meta-names/k")
h2 = s3.head_object(Bucket="meta-names", Key="k2")
print(json.dumps({"head": h["Metadata"], "get": g["Metadata"], "copy": h2["Metadata"],
                  "enc": h["ContentEncoding"], "getEnc": g["ContentEncoding"]}))
`)
	var got struct {
		Head, Get, Copy map[string]string
		Enc, GetEnc     string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	want := map[string]string{"meta1": "v1", "second-name": "v2"}
	for name, m := range map[string]map[string]string{"head_object": got.Head, "get_object": got.Get, "head_object of a copy": got.Copy} {
		if fmt.Sprint(m) != fmt.Sprint(want) {
			t.Errorf("%s Metadata = %v, want %v", name, m, want)
		}
	}
	if got.Enc != "deflate, gzip" || got.GetEnc != "deflate, gzip" {
		t.Errorf("ContentEncoding head %q get %q, want \"deflate, gzip\"", got.Enc, got.GetEnc)
	}
}

// boto3AuthScript drives the authentication refusals with botocore's own
// signers: SigV2 (signature_version "s3") with the request date tampered
// with, SigV4 with a Date header (botocore then signs with an RFC 1123
// date in "-0000" form), odd Authorization headers, and presigned URLs
// of out-of-range validity. Each case prints [name, status, code, message].
const boto3AuthScript = `
import urllib.request, urllib.error, re
v2 = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
    aws_access_key_id=AK, aws_secret_access_key=SK, verify=CA or None,
    config=Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}))
out = []
def record(name, fn):
    try:
        fn()
        out.append([name, 200, "", ""])
    except botocore.exceptions.ClientError as e:
        out.append([name, e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Code", ""), e.response["Error"].get("Message", "")])
def with_headers(client, op, headers, fn):
    def add(**kw):
        kw["params"]["headers"].update(headers)
    client.meta.events.register("before-call.s3." + op, add)
    try:
        return fn()
    finally:
        client.meta.events.unregister("before-call.s3." + op, add)
def without_header(client, op, name, fn):
    def drop(request, **kw):
        if name in request.headers:
            del request.headers[name]
    client.meta.events.register_first("before-send.s3." + op, drop)
    try:
        return fn()
    finally:
        client.meta.events.unregister("before-send.s3." + op, drop)

record("v2 create bucket", lambda: v2.create_bucket(Bucket="auth-v2"))
record("v2 head bucket", lambda: v2.head_bucket(Bucket="auth-v2"))
record("v2 put", lambda: v2.put_object(Bucket="auth-v2", Key="k", Body=b"bar"))
for name, date in [("bad", "Bad Date"), ("empty", ""), ("before epoch", "Tue, 07 Jul 1950 21:53:04 GMT"),
                   ("before today", "Tue, 07 Jul 2010 21:53:04 GMT"), ("after 9999", "Tue, 07 Jul 9999 21:53:04 GMT")]:
    record("v2 x-amz-date " + name, lambda: with_headers(v2, "PutObject", {"x-amz-date": date},
        lambda: v2.put_object(Bucket="auth-v2", Key="k", Body=b"bar")))
record("v2 no date", lambda: without_header(v2, "PutObject", "Date",
    lambda: v2.put_object(Bucket="auth-v2", Key="k", Body=b"bar")))
record("v4 with Date header", lambda: with_headers(s3, "PutObject", {"Date": "Bad Date"},
    lambda: s3.put_object(Bucket="auth-v2", Key="k4", Body=b"bar")))
record("v4 empty x-amz-date", lambda: with_headers(s3, "PutObject", {"X-Amz-Date": ""},
    lambda: without_header(s3, "PutObject", "X-Amz-Date", lambda: s3.put_object(Bucket="auth-v2", Key="k4", Body=b"bar"))))
record("empty authorization", lambda: without_header(s3, "ListObjects", "Authorization",
    lambda: with_headers(s3, "ListObjects", {"Authorization": ""}, lambda: s3.list_objects(Bucket="auth-v2"))))
def bad_auth(value):
    def set_auth(request, **kw):
        if "Authorization" in request.headers:
            del request.headers["Authorization"]
        request.headers["Authorization"] = value
    s3.meta.events.register_first("before-send.s3.ListObjects", set_auth)
    try:
        s3.list_objects(Bucket="auth-v2")
    finally:
        s3.meta.events.unregister("before-send.s3.ListObjects", set_auth)
record("v2 malformed authorization", lambda: bad_auth("AWS HAHAHA"))
record("unknown scheme", lambda: bad_auth("Bearer abc"))
nokey = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
    aws_access_key_id="NOSUCHKEY", aws_secret_access_key=SK, verify=CA or None,
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}))
record("unknown access key", lambda: nokey.list_objects(Bucket="auth-v2"))
def fetch(url):
    try:
        urllib.request.urlopen(url).read()
        return [200, "", ""]
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        code = re.search("<Code>(.*?)</Code>", body)
        msg = re.search("<Message>(.*?)</Message>", body)
        return [e.code, code.group(1) if code else "", msg.group(1) if msg else ""]
v4 = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
    aws_access_key_id=AK, aws_secret_access_key=SK, verify=CA or None,
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}))
for secs in [-7, 0, 609901, 3600]:
    url = v4.generate_presigned_url("get_object", Params={"Bucket": "auth-v2", "Key": "k"}, ExpiresIn=secs)
    out.append(["presign %d" % secs] + fetch(url))
for secs in [-7, 609901, 3600]:
    url = v2.generate_presigned_url("get_object", Params={"Bucket": "auth-v2", "Key": "k"}, ExpiresIn=secs)
    out.append(["v2 presign %d" % secs] + fetch(url))
print(json.dumps(out))
`

// TestBoto3AuthAnswers checks each authentication refusal against the
// code and status S3 answers, with boto3's own signers.
func TestBoto3AuthAnswers(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	var got [][4]any
	out := Boto3(t, g, boto3AuthScript)
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	want := map[string]struct {
		status int
		code   string
		msg    string // a part of the message, if not ""
	}{
		"v2 create bucket":           {200, "", ""},
		"v2 head bucket":             {200, "", ""},
		"v2 put":                     {200, "", ""},
		"v2 x-amz-date bad":          {403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"},
		"v2 x-amz-date empty":        {403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"},
		"v2 x-amz-date before epoch": {403, "AccessDenied", ""},
		"v2 x-amz-date before today": {403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."},
		"v2 x-amz-date after 9999":   {403, "RequestTimeTooSkewed", ""},
		"v2 no date":                 {403, "AccessDenied", "valid Date or x-amz-date"},
		"v4 with Date header":        {200, "", ""},
		"v4 empty x-amz-date":        {403, "AccessDenied", "valid Date or x-amz-date"},
		"empty authorization":        {403, "AccessDenied", "Access Denied"},
		"v2 malformed authorization": {400, "InvalidArgument", "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"},
		"unknown scheme":             {400, "InvalidArgument", "Unsupported Authorization Type"},
		"unknown access key":         {403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."},
		"presign -7":                 {403, "AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative"},
		"presign 0":                  {403, "AuthorizationQueryParametersError", ""},
		"presign 609901":             {403, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		"presign 3600":               {200, "", ""},
		"v2 presign -7":              {403, "AccessDenied", "Request has expired"},
		"v2 presign 609901":          {403, "AuthorizationQueryParametersError", "more than 7 days"},
		"v2 presign 3600":            {200, "", ""},
	}
	seen := map[string]bool{}
	for _, r := range got {
		name, status, code, msg := r[0].(string), int(r[1].(float64)), r[2].(string), r[3].(string)
		seen[name] = true
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected case %q", name)
			continue
		}
		if status != w.status || code != w.code || !strings.Contains(msg, w.msg) {
			t.Errorf("%s: %d %s %q, want %d %s containing %q", name, status, code, msg, w.status, w.code, w.msg)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("case %q did not run", name)
		}
	}
}

// TestAWSChunkedErrorCodes sends broken STREAMING-UNSIGNED-PAYLOAD-TRAILER
// bodies as raw HTTP (no SDK produces them) and checks S3's codes: a
// missing or misnamed trailer or a garbled trailer line is
// MalformedTrailerError, a broken chunk framing or a body that ends early
// is IncompleteBody, a wrong trailer checksum is BadDigest; none leaves an
// object behind.
func TestAWSChunkedErrorCodes(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	data := Data(11, 20000)
	crc := crc32b64(crc32.IEEETable, data)
	encode := func(trailer string) []byte {
		var buf bytes.Buffer
		for rest := data; len(rest) > 0; {
			n := min(8192, len(rest))
			fmt.Fprintf(&buf, "%x\r\n%s\r\n", n, rest[:n])
			rest = rest[n:]
		}
		buf.WriteString("0\r\n" + trailer + "\r\n")
		return buf.Bytes()
	}
	good := encode("x-amz-checksum-crc32:" + crc + "\r\n")
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"well-formed", good, 200, ""},
		{"trailer missing", encode(""), 400, "MalformedTrailerError"},
		{"other trailer", encode("x-amz-checksum-crc32c:AAAAAA==\r\n"), 400, "MalformedTrailerError"},
		{"trailer line not name:value", encode("x-amz-checksum-crc32 " + crc + "\r\n"), 400, "MalformedTrailerError"},
		{"wrong trailer checksum", encode("x-amz-checksum-crc32:" + crc32b64(crc32.IEEETable, []byte("x")) + "\r\n"), 400, "BadDigest"},
		{"garbled chunk size", bytes.Replace(good, []byte("2000\r\n"), []byte("2g00\r\n"), 1), 400, "IncompleteBody"},
		{"ends inside a chunk", good[:10000], 400, "IncompleteBody"},
	} {
		key := strings.ReplaceAll(tc.name, " ", "-")
		hdr := http.Header{
			"Content-Encoding":             {"aws-chunked"},
			"X-Amz-Decoded-Content-Length": {strconv.Itoa(len(data))},
			"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
			"X-Amz-Sdk-Checksum-Algorithm": {"CRC32"},
		}
		resp, body := rawDo(t, g, signed(t, g, "PUT", "/"+b+"/"+key, nil, tc.body, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", hdr))
		if tc.status == 200 {
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", tc.name, resp.StatusCode, body)
			}
			continue
		}
		if resp.StatusCode != tc.status || !bytes.Contains(body, []byte("<Code>"+tc.code+"</Code>")) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
		if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key}); httpStatus(err) != http.StatusNotFound {
			t.Errorf("%s: the refused body left an object (HEAD: %v)", tc.name, err)
		}
	}
}

// TestExpectContinueRawSocket speaks HTTP/1.1 by hand to the gateway: a
// signed 0-byte PUT with "Expect: 100-continue" gets "100 Continue" and
// then its 200, and the same connection serves the next request, which
// botocore's connection reuse depends on.
func TestExpectContinueRawSocket(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	conn, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(conn)
	read := func(req *http.Request, want int) {
		t.Helper()
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", req.Method, req.URL.Path, resp.StatusCode, body, want)
		}
	}
	put := signed(t, g, "PUT", "/"+b+"/empty", nil, nil, "", http.Header{"Expect": {"100-continue"}})
	if err := put.Write(conn); err != nil {
		t.Fatal(err)
	}
	read(put, http.StatusContinue)
	read(put, http.StatusOK)
	head := signed(t, g, "HEAD", "/"+b+"/empty", nil, nil, "", nil)
	if err := head.Write(conn); err != nil {
		t.Fatal(err)
	}
	read(head, http.StatusOK)
}
