package testharness

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestObjectLockArguments: Object Lock arguments a client gets wrong are
// answered as S3 answers them: a retain-until header that is not a date
// or is in the past is InvalidArgument naming the header and its value,
// checked before the bucket's Object Lock state (so also on a bucket
// without it, and on CreateMultipartUpload as on PutObject); a default
// retention over 100 years is "too large", naming Days or Years.
func TestObjectLockArguments(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	plain := newBucket(t, c)
	lb := newLockBucket(t, c)
	const future = "The retain until date must be in the future!"
	past := time.Now().Add(-5 * time.Hour)
	for _, b := range []string{plain, lb} {
		_, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k"),
			ObjectLockMode: types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: &past})
		wantMessage(t, "CreateMultipartUpload, past date, bucket "+b, err, "InvalidArgument", future)
		_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("x")),
			ObjectLockMode: types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: &past})
		wantMessage(t, "PutObject, past date, bucket "+b, err, "InvalidArgument", future)
	}

	// The error document names the header and echoes its value.
	for _, tc := range []struct{ until, msg string }{
		{"not-a-date", "The retain until date must be provided in ISO 8601 format"},
		{"2001-02-03T04:05:06Z", future},
	} {
		hdr := http.Header{}
		hdr.Set("x-amz-object-lock-mode", "GOVERNANCE")
		hdr.Set("x-amz-object-lock-retain-until-date", tc.until)
		hdr.Set("Content-MD5", "zbzrEfBTgu4Tq8JIjnn8dQ==") // MD5 of "x"
		resp, body := rawDo(t, g, signed(t, g, http.MethodPut, "/"+lb+"/k", nil, []byte("x"), "", hdr))
		checkXMLError(t, resp, body, http.StatusBadRequest, "InvalidArgument")
		for _, want := range []string{"<Message>" + tc.msg + "</Message>",
			"<ArgumentName>x-amz-object-lock-retain-until-date</ArgumentName>", "<ArgumentValue>" + tc.until + "</ArgumentValue>"} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("retain-until %q: body %s lacks %s", tc.until, body, want)
			}
		}
	}
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &lb, Key: aws.String("k")}); err == nil {
		t.Fatalf("a refused PutObject stored the object")
	}

	// Default retention: 1 to 36500 days or 1 to 100 years.
	for _, dr := range []struct {
		r       types.DefaultRetention
		arg     string
		message string
	}{
		{types.DefaultRetention{Days: aws.Int32(36501)}, "Days", "Default retention period too large."},
		{types.DefaultRetention{Years: aws.Int32(101)}, "Years", "Default retention period too large."},
		{types.DefaultRetention{Days: aws.Int32(0)}, "Days", "Default retention period must be a positive integer value."},
		{types.DefaultRetention{Years: aws.Int32(-5)}, "Years", "Default retention period must be a positive integer value."},
	} {
		dr.r.Mode = types.ObjectLockRetentionModeCompliance
		_, err := c.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &lb, ObjectLockConfiguration: &types.ObjectLockConfiguration{
			ObjectLockEnabled: types.ObjectLockEnabledEnabled, Rule: &types.ObjectLockRule{DefaultRetention: &dr.r}}})
		wantMessage(t, "default retention "+dr.arg, err, "InvalidArgument", dr.message)
	}
	for _, ok := range []types.DefaultRetention{{Days: aws.Int32(36500)}, {Years: aws.Int32(100)}} {
		ok.Mode = types.ObjectLockRetentionModeGovernance
		if _, err := c.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &lb, ObjectLockConfiguration: &types.ObjectLockConfiguration{
			ObjectLockEnabled: types.ObjectLockEnabledEnabled, Rule: &types.ObjectLockRule{DefaultRetention: &ok}}}); err != nil {
			t.Fatalf("the longest default retention S3 allows: %v", err)
		}
	}
	body := []byte(`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Years>101</Years></DefaultRetention></Rule></ObjectLockConfiguration>`)
	resp, rb := rawDo(t, g, signed(t, g, http.MethodPut, "/"+lb, url.Values{"object-lock": {""}}, body, "", http.Header{"Content-Md5": {md5b64(body)}}))
	checkXMLError(t, resp, rb, http.StatusBadRequest, "InvalidArgument")
	if !strings.Contains(string(rb), "<ArgumentName>Years</ArgumentName>") {
		t.Errorf("too many years: %s does not name Years", rb)
	}
}

// TestConfigurationEmptyBody: a configuration PUT that sends no document
// at all (an SDK call whose configuration was left nil) is answered
// MissingRequestBodyError "Request Body is empty", as S3 answers, rather
// than MalformedXML, which S3 keeps for a document that does not parse;
// nothing changes.
func TestConfigurationEmptyBody(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	lb := newLockBucket(t, c)
	put(t, c, b, "k", []byte("data"))

	_, err := c.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &lb})
	wantMessage(t, "PutObjectLockConfiguration without a configuration", err, "MissingRequestBodyError", "Request Body is empty")

	for _, tc := range []struct{ path, sub string }{
		{"/" + lb, "object-lock"},
		{"/" + b, "tagging"},
		{"/" + b + "/k", "tagging"},
		{"/" + b, "cors"},
		{"/" + b, "lifecycle"},
		{"/" + b, "versioning"},
		{"/" + b, "ownershipControls"},
	} {
		hdr := http.Header{"Content-Md5": {md5b64(nil)}}
		resp, body := rawDo(t, g, signed(t, g, http.MethodPut, tc.path, url.Values{tc.sub: {""}}, nil, "", hdr))
		checkXMLError(t, resp, body, http.StatusBadRequest, "MissingRequestBodyError")
		if !bytes.Contains(body, []byte("<Message>Request Body is empty</Message>")) {
			t.Errorf("PUT %s?%s: %s", tc.path, tc.sub, body)
		}
		// A body that is not XML stays MalformedXML.
		junk := []byte("not xml")
		resp, body = rawDo(t, g, signed(t, g, http.MethodPut, tc.path, url.Values{tc.sub: {""}}, junk, "", http.Header{"Content-Md5": {md5b64(junk)}}))
		checkXMLError(t, resp, body, http.StatusBadRequest, "MalformedXML")
	}
	// Nothing was set: versioning is still unset, no lock default.
	v, err := c.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || v.Status != "" {
		t.Fatalf("versioning after refused PUTs: %v %q", err, v.Status)
	}
	lc, err := c.GetObjectLockConfiguration(ctx(t), &s3.GetObjectLockConfigurationInput{Bucket: &lb})
	if err != nil || lc.ObjectLockConfiguration.Rule != nil {
		t.Fatalf("lock configuration after a refused PUT: %v %+v", err, lc)
	}
}
