package testharness

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// preconditionMessage is S3's PreconditionFailed message as it is sent
// (hyphenated, no period), which differs from its documentation's.
const preconditionMessage = "At least one of the pre-conditions you specified did not hold"

// TestPreconditionFailedWire: every refused precondition answers S3's
// wire message and names the condition in a <Condition> element, as S3
// does; aws-sdk-go-v2 reports that message, boto3 the Condition.
func TestPreconditionFailedWire(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("data"))
	other := `"0123456789abcdef0123456789abcdef"`
	for _, tc := range []struct {
		method, path, condition string
		hdr                     http.Header
	}{
		{"PUT", "/" + b + "/k", "If-None-Match", http.Header{"If-None-Match": {"*"}}},
		{"PUT", "/" + b + "/k", "If-Match", http.Header{"If-Match": {other}}},
		{"GET", "/" + b + "/k", "If-Match", http.Header{"If-Match": {other}}},
		{"GET", "/" + b + "/k", "If-Unmodified-Since", http.Header{"If-Unmodified-Since": {"Mon, 01 Jan 2001 00:00:00 GMT"}}},
		{"DELETE", "/" + b + "/k", "x-amz-if-match-size", http.Header{"X-Amz-If-Match-Size": {"1"}}},
		{"PUT", "/" + b + "/copy", "x-amz-copy-source-If-Match", http.Header{"X-Amz-Copy-Source": {b + "/k"}, "X-Amz-Copy-Source-If-Match": {other}}},
		{"PUT", "/" + b + "/copy", "x-amz-copy-source-If-Modified-Since", http.Header{"X-Amz-Copy-Source": {b + "/k"}, "X-Amz-Copy-Source-If-Modified-Since": {"Mon, 01 Jan 2091 00:00:00 GMT"}}},
	} {
		resp, body := rawDo(t, g, signed(t, g, tc.method, tc.path, nil, []byte{}, "", tc.hdr))
		checkXMLError(t, resp, body, http.StatusPreconditionFailed, "PreconditionFailed")
		if !bytes.Contains(body, []byte("<Message>"+preconditionMessage+"</Message>")) || !bytes.Contains(body, []byte("<Condition>"+tc.condition+"</Condition>")) {
			t.Errorf("%s %s (%s): %s", tc.method, tc.path, tc.condition, body)
		}
	}

	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "PreconditionFailed" || ae.ErrorMessage() != preconditionMessage {
		t.Errorf("aws-sdk-go-v2: %v", err)
	}

	out := Boto3(t, g, `
b = sys.argv[1]
try:
    s3.delete_object(Bucket=b, Key="k", IfMatch='"0123456789abcdef0123456789abcdef"')
    print(json.dumps({}))
except botocore.exceptions.ClientError as e:
    print(json.dumps(e.response["Error"]))
`, b)
	var be map[string]string
	if err := json.Unmarshal(bytes.TrimSpace(out), &be); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	if be["Code"] != "PreconditionFailed" || be["Message"] != preconditionMessage || be["Condition"] != "If-Match" {
		t.Errorf("boto3 error: %v", be)
	}
}
