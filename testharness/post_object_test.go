package testharness

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// postForm sends a browser-form upload: the fields (in a stable order),
// then the file last, as browsers send it.
func postForm(t *testing.T, g *Gateway, bucket string, fields map[string]string, filename string, file []byte) (*http.Response, []byte) {
	t.Helper()
	return postFormWith(t, g, bucket, nil, fields, filename, file)
}

// postFormWith is postForm with extra request headers (a browser's Origin).
func postFormWith(t *testing.T, g *Gateway, bucket string, hdr http.Header, fields map[string]string, filename string, file []byte) (*http.Response, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if err := mw.WriteField(k, fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	req := mustRequest(t, http.MethodPost, g.Endpoint+"/"+bucket, body.Bytes())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range hdr {
		req.Header[k] = v
	}
	// A browser would follow success_action_redirect; the test looks at it.
	c := g.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading body: %v", req.URL, err)
	}
	return resp, b
}

// presignPost signs a POST policy with minio-go (aws-sdk-go-v2 has no
// presigned POST) for the client's credentials.
func presignPost(t *testing.T, mc *minio.Client, set func(p *minio.PostPolicy)) map[string]string {
	t.Helper()
	p := minio.NewPostPolicy()
	if err := p.SetExpires(time.Now().UTC().Add(10 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	set(p)
	_, form, err := mc.PresignedPostPolicy(context.Background(), p)
	if err != nil {
		t.Fatalf("PresignedPostPolicy: %v", err)
	}
	return form
}

// TestPostObjectMinio: a browser-form upload signed by minio-go's
// PresignedPostPolicy — key from ${filename} under a starts-with prefix,
// Content-Type, user metadata, a content-length-range and
// success_action_status 201 — stores the file, which aws-sdk-go-v2 reads
// back byte for byte with its metadata.
func TestPostObjectMinio(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	mc := MinioClient(t, g)
	c := S3Client(t, g, S3Options{})
	const b = "post-uploads"
	if err := mc.MakeBucket(context.Background(), b, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	form := presignPost(t, mc, func(p *minio.PostPolicy) {
		p.SetBucket(b)
		p.SetKeyStartsWith("uploads/")
		p.SetContentType("application/x-backup")
		p.SetUserMetadata("origin", "browser")
		p.SetContentLengthRange(1, 1<<20)
		p.SetSuccessStatusAction("201")
	})
	form["key"] = "uploads/${filename}"
	marker := newMarker()
	data, _ := io.ReadAll(markedReader(7, 300<<10, marker))
	resp, body := postForm(t, g, b, form, "db.xbstream", data)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	var pr struct {
		Location, Bucket, Key, ETag string
	}
	if err := xml.Unmarshal(body, &pr); err != nil || pr.Bucket != b || pr.Key != "uploads/db.xbstream" || pr.ETag == "" {
		t.Fatalf("PostResponse %s: %+v %v", body, pr, err)
	}
	if want := g.Endpoint + "/" + b + "/uploads/db.xbstream"; pr.Location != want || resp.Header.Get("Location") != want {
		t.Errorf("Location %q / header %q, want %q", pr.Location, resp.Header.Get("Location"), want)
	}
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("uploads/db.xbstream")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d uploaded", len(got), err, len(data))
	}
	if aws.ToString(out.ContentType) != "application/x-backup" || out.Metadata["origin"] != "browser" || aws.ToString(out.ETag) != pr.ETag {
		t.Errorf("object: Content-Type %q, metadata %v, ETag %s (POST said %s)", aws.ToString(out.ContentType), out.Metadata, aws.ToString(out.ETag), pr.ETag)
	}

	assertNoMarker(t, g.DataDir, marker)

	// The default answer is 204 with the ETag and Location; a page on an
	// origin the bucket's CORS rules allow to POST gets the CORS headers.
	cors := &types.CORSConfiguration{CORSRules: []types.CORSRule{{AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{"POST"}}}}
	if _, err := c.PutBucketCors(ctx(t), &s3.PutBucketCorsInput{Bucket: aws.String(b), CORSConfiguration: cors}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	form = presignPost(t, mc, func(p *minio.PostPolicy) { p.SetBucket(b); p.SetKey("plain") })
	resp, body = postFormWith(t, g, b, http.Header{"Origin": {"https://app.example"}}, form, "x", []byte("small"))
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("ETag") == "" {
		t.Fatalf("POST without success_action_status: %d %s (ETag %q)", resp.StatusCode, body, resp.Header.Get("ETag"))
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Errorf("cross-origin POST: Access-Control-Allow-Origin %q", got)
	}

	// success_action_redirect: 303 to the page, told bucket, key and ETag.
	form = presignPost(t, mc, func(p *minio.PostPolicy) {
		p.SetBucket(b)
		p.SetKey("redirected")
		p.SetSuccessActionRedirect("https://app.example/done?from=form")
	})
	resp, body = postForm(t, g, b, form, "x", []byte("small"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Host != "app.example" || loc.Path != "/done" ||
		loc.Query().Get("from") != "form" || loc.Query().Get("key") != "redirected" || loc.Query().Get("bucket") != b || loc.Query().Get("etag") != resp.Header.Get("ETag") {
		t.Errorf("POST with success_action_redirect: %d Location %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// TestPostObjectRefusals: forms S3 refuses, each with S3's code and
// words, and none of them stores anything.
func TestPostObjectRefusals(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	mc := MinioClient(t, g)
	c := S3Client(t, g, S3Options{})
	const b = "post-refusals"
	if err := mc.MakeBucket(context.Background(), b, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	sign := func(set func(p *minio.PostPolicy)) map[string]string {
		return presignPost(t, mc, func(p *minio.PostPolicy) { p.SetBucket(b); p.SetKey("k"); set(p) })
	}
	noop := func(*minio.PostPolicy) {}
	cases := []struct {
		name   string
		form   map[string]string
		file   []byte
		status int
		code   string
		msg    string
	}{
		{"expired policy", sign(func(p *minio.PostPolicy) { p.SetExpires(time.Now().Add(-time.Minute)) }), []byte("x"),
			403, "AccessDenied", "Invalid according to Policy: Policy expired."},
		{"condition mismatch", with(sign(func(p *minio.PostPolicy) { p.SetContentType("text/plain") }), "Content-Type", "image/png"), []byte("x"),
			403, "AccessDenied", `Invalid according to Policy: Policy Condition failed: ["eq","$Content-Type","text/plain"]`},
		{"field outside the policy", with(sign(noop), "x-amz-meta-extra", "1"), []byte("x"),
			403, "AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-extra"},
		{"file too large", sign(func(p *minio.PostPolicy) { p.SetContentLengthRange(2, 10) }), []byte("0123456789A"),
			400, "EntityTooLarge", ""},
		{"file too small", sign(func(p *minio.PostPolicy) { p.SetContentLengthRange(2, 10) }), []byte("0"),
			400, "EntityTooSmall", ""},
		{"bad signature", tamper(sign(noop), "x-amz-signature"), []byte("x"),
			403, "SignatureDoesNotMatch", ""},
		{"tampered policy", tamper(sign(noop), "policy"), []byte("x"),
			403, "SignatureDoesNotMatch", ""},
		{"unknown access key", with(sign(noop), "x-amz-credential", "EGWNOSUCHKEY/"+time.Now().UTC().Format("20060102")+"/us-east-1/s3/aws4_request"), []byte("x"),
			403, "InvalidAccessKeyId", ""},
		{"anonymous", map[string]string{"key": "k"}, []byte("x"),
			403, "AccessDenied", ""},
		{"signature field missing", without(sign(noop), "x-amz-signature"), []byte("x"),
			400, "InvalidArgument", "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields."},
	}
	for _, tc := range cases {
		resp, body := postForm(t, g, b, tc.form, "f", tc.file)
		var e struct{ Code, Message string }
		xml.Unmarshal(body, &e)
		if resp.StatusCode != tc.status || e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
			t.Errorf("%s: %d %s %q, want %d %s %q", tc.name, resp.StatusCode, e.Code, e.Message, tc.status, tc.code, tc.msg)
		}
	}

	// Not a form: S3's precondition answer. A form without a file.
	req := mustRequest(t, http.MethodPost, g.Endpoint+"/"+b, []byte("{}"))
	req.Header.Set("Content-Type", "application/json")
	if resp, body := rawDo(t, g, req); resp.StatusCode != 412 || !bytes.Contains(body, []byte("multipart/form-data")) {
		t.Errorf("JSON POST: %d %s", resp.StatusCode, body)
	}
	var fb bytes.Buffer
	mw := multipart.NewWriter(&fb)
	for k, v := range sign(noop) {
		mw.WriteField(k, v)
	}
	mw.Close()
	req = mustRequest(t, http.MethodPost, g.Endpoint+"/"+b, fb.Bytes())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, body := rawDo(t, g, req); resp.StatusCode != 400 || !bytes.Contains(body, []byte("IncorrectNumberOfFilesInPostRequest")) {
		t.Errorf("form without file: %d %s", resp.StatusCode, body)
	}
	// Fields beyond S3's 20 KB before the file.
	big := with(sign(noop), "x-ignore-padding", strings.Repeat("p", 30<<10))
	if resp, body := postForm(t, g, b, big, "f", []byte("x")); resp.StatusCode != 400 || !bytes.Contains(body, []byte("MaxPostPreDataLengthExceededError")) {
		t.Errorf("30 KB of fields: %d %s", resp.StatusCode, body)
	}

	_, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotFound" {
		t.Fatalf("after only refused forms, HEAD k: %v (want NotFound)", err)
	}
}

func with(m map[string]string, k, v string) map[string]string {
	m[k] = v
	return m
}

func without(m map[string]string, k string) map[string]string {
	delete(m, k)
	return m
}

// tamper changes the last character of a field.
func tamper(m map[string]string, k string) map[string]string {
	v := []byte(m[k])
	if v[len(v)-1] == 'a' {
		v[len(v)-1] = 'b'
	} else {
		v[len(v)-1] = 'a'
	}
	m[k] = string(v)
	return m
}

// TestPostObjectRights: a form upload is its signer's PutObject. A
// restore (read-only) user's signed form is refused; an ingest user's
// creates and repeats identically but cannot overwrite, exactly as its
// PUT would.
func TestPostObjectRights(t *testing.T) {
	t.Parallel()
	ingest := NewUser("db1", "ingest")
	restore := NewUser("dba", "restore")
	users := WriteUsersFile(t, filepath.Join(t.TempDir(), "users.json"), ingest, restore)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	const b = "post-rights"
	ic := UserS3Client(t, g, ingest, S3Options{})
	if _, err := ic.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	userMinio := func(u User) *minio.Client {
		return MinioClient(t, g, func(o *minio.Options) { o.Creds = miniocreds.NewStaticV4(u.AccessKey, u.SecretKey, "") })
	}
	im, rm := userMinio(ingest), userMinio(restore)
	policy := func(p *minio.PostPolicy) { p.SetBucket(b); p.SetKey("backup") }

	if resp, body := postForm(t, g, b, presignPost(t, rm, policy), "f", []byte("from restore")); resp.StatusCode != 403 || !bytes.Contains(body, []byte("AccessDenied")) {
		t.Errorf("restore user's POST: %d %s", resp.StatusCode, body)
	}
	orig := []byte("the backup")
	if resp, body := postForm(t, g, b, presignPost(t, im, policy), "f", orig); resp.StatusCode != 204 {
		t.Fatalf("ingest user's POST: %d %s", resp.StatusCode, body)
	}
	if resp, body := postForm(t, g, b, presignPost(t, im, policy), "f", orig); resp.StatusCode/100 != 2 {
		t.Errorf("ingest user's identical repeat: %d %s", resp.StatusCode, body)
	}
	if resp, body := postForm(t, g, b, presignPost(t, im, policy), "f", []byte("overwritten")); resp.StatusCode != 403 {
		t.Errorf("ingest user's overwrite: %d %s", resp.StatusCode, body)
	}
	rc := UserS3Client(t, g, restore, S3Options{})
	out, err := rc.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("backup")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, orig) {
		t.Errorf("backup reads %q, want %q", got, orig)
	}
}
