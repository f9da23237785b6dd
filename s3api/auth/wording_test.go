package auth

import (
	"errors"
	"strings"
	"testing"
)

// Each malformed SigV4 header or presigned query is worded as S3 words it,
// and the checks run in S3's order (terminal, service, region, then date).
func TestWording(t *testing.T) {
	const cred = "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"
	hdr := func(authz string) string {
		return strings.Replace(docGet, "Authorization: AWS4-HMAC-SHA256 Credential="+cred+",SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", "Authorization: "+authz, 1)
	}
	withCred := func(c string) string {
		return hdr("AWS4-HMAC-SHA256 Credential=" + c + ",SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	}
	presign := func(params string) string {
		return "GET /k?" + params + " HTTP/1.1\nHost: x"
	}
	const all = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	for _, c := range []struct{ name, head, want string }{
		{"no space", hdr("invalid_header"), "Authorization header is invalid -- one and only one ' ' (space) required."},
		{"unknown scheme", hdr("AWS2-HMAC-SHA1 Credential=x"), "Unsupported Authorization Type"},
		{"two components", hdr("AWS4-HMAC-SHA256 Credential=" + cred + ",Signature=00"), "the authorization header requires three components: Credential, SignedHeaders, and Signature."},
		{"component without =", hdr("AWS4-HMAC-SHA256 Credential=" + cred + ",SignedHeaders-Content-Length,Signature=00"), `the authorization component "SignedHeaders-Content-Length" is malformed.`},
		{"no Credential", hdr("AWS4-HMAC-SHA256 Cred=" + cred + ",SignedHeaders=host,Signature=00"), "missing Credential."},
		{"no SignedHeaders", hdr("AWS4-HMAC-SHA256 Credential=" + cred + ",Signed=host,Signature=00"), "missing SignedHeaders."},
		{"no Signature", hdr("AWS4-HMAC-SHA256 Credential=" + cred + ",SignedHeaders=host,Sig=00"), "missing Signature."},
		{"six parts", withCred("access/32234/us-east-1/s3/extra/things"), `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		{"terminal before date", withCred("access/32234/us-east-1/s3/aws_request"), `incorrect terminal "aws_request". This endpoint uses "aws4_request".`},
		{"service before date", withCred("access/32234/us-east-1/ec2/aws4_request"), `incorrect service "ec2". This endpoint belongs to "s3".`},
		{"region before date", withCred("access/32234/us-west-1/s3/aws4_request"), "the region 'us-west-1' is wrong; expecting 'us-east-1'"},
		{"date", withCred("access/3223423234/us-east-1/s3/aws4_request"), `incorrect date format "3223423234". This date in the credential must be in the format "yyyyMMdd".`},
		{"bad payload hash", strings.Replace(docGet, "x-amz-content-sha256:e3b0", "x-amz-content-sha256:zzzz", 1), sentencePayloadHash},
		{"query missing", presign("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00"), "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."},
		{"query algorithm", presign(strings.Replace(all, "AWS4-HMAC-SHA256", "AWS4-SHA256", 1) + "&X-Amz-Credential=" + cred), `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"`},
		{"query sigv4a", presign(strings.Replace(all, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1) + "&X-Amz-Credential=" + cred), `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`},
		{"query credential", presign(all + "&X-Amz-Credential=access/hello/world"), `Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		{"query terminal", presign(all + "&X-Amz-Credential=a/20130524/us-east-1/s3/aws5_request"), `Error parsing the X-Amz-Credential parameter; incorrect terminal "aws5_request". This endpoint uses "aws4_request".`},
		{"query service", presign(all + "&X-Amz-Credential=a/20130524/us-east-1/sns/aws4_request"), `Error parsing the X-Amz-Credential parameter; incorrect service "sns". This endpoint belongs to "s3".`},
		{"query region", presign(all + "&X-Amz-Credential=a/20130524/eu-west-1/s3/aws4_request"), `Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'`},
		{"query date format", presign(all + "&X-Amz-Credential=a/32234Z34/us-east-1/s3/aws4_request"), `Error parsing the X-Amz-Credential parameter; incorrect date format "32234Z34". This date in the credential must be in the format "yyyyMMdd".`},
		{"query dates differ", presign(all + "&X-Amz-Credential=a/20060102/us-east-1/s3/aws4_request"), `Invalid credential date "20060102". This date is not the same as X-Amz-Date: "20130524".`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := VerifyInRegion(wire(t, c.head), exampleKeys, docDate, "", "us-east-1")
			if err == nil {
				t.Fatal("accepted")
			}
			if got := Detail(err); got != c.want {
				t.Fatalf("detail\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

// A scope naming another region is refused when the endpoint has one, with
// both regions in the error; without one, any region verifies.
func TestRegionEnforced(t *testing.T) {
	if _, err := VerifyInRegion(wire(t, docGet), exampleKeys, docDate, "", "us-east-1"); err != nil {
		t.Fatalf("right region: %v", err)
	}
	_, err := VerifyInRegion(wire(t, docGet), exampleKeys, docDate, "", "eu-central-1")
	var re *RegionError
	if !errors.As(err, &re) || re.Got != "us-east-1" || re.Want != "eu-central-1" || !errors.Is(err, ErrMalformed) {
		t.Fatalf("wrong region: %v", err)
	}
	if _, err := Verify(wire(t, docGet), exampleKeys, docDate); err != nil {
		t.Fatalf("no region configured: %v", err)
	}
}

// Unknown keys and signature mismatches name the access key; unsigned
// x-amz-* headers are all listed, sorted.
func TestErrorFields(t *testing.T) {
	_, err := Verify(wire(t, strings.Replace(docGet, "AKIAIOSFODNN7EXAMPLE/", "AKIDUNKNOWN/", 1)), exampleKeys, docDate)
	if AccessKeyOf(err) != "AKIDUNKNOWN" {
		t.Errorf("unknown key: %v", err)
	}
	_, err = Verify(wire(t, strings.Replace(docGet, "Range: bytes=0-9", "Range: bytes=0-10", 1)), exampleKeys, docDate)
	if AccessKeyOf(err) != exampleAK || !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Errorf("mismatch: %v", err)
	}
	_, err = Verify(wire(t, docGet+"\nX-Amz-Tagging: a=b\nX-Amz-Copy-Source: b/k"), exampleKeys, docDate)
	var ue *UnsignedHeadersError
	if !errors.As(err, &ue) || strings.Join(ue.Headers, ", ") != "x-amz-copy-source, x-amz-tagging" {
		t.Errorf("unsigned: %v", err)
	}
}
