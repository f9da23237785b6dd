package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const docGet = `GET /test.txt HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
Range: bytes=0-9
x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-amz-date: 20130524T000000Z`

func TestErrors(t *testing.T) {
	sub := func(old, new string) string {
		if !strings.Contains(docGet, old) {
			t.Fatalf("test bug: %q not in request", old)
		}
		return strings.Replace(docGet, old, new, 1)
	}
	for _, c := range []struct {
		name string
		head string
		now  time.Time
		want error
	}{
		{"anonymous", "GET /b/k HTTP/1.1\nHost: x", docDate, ErrMissing},
		{"unknown key", sub("AKIAIOSFODNN7EXAMPLE/", "AKIDUNKNOWN/"), docDate, ErrInvalidAccessKeyID},
		{"skew", docGet, docDate.Add(16 * time.Minute), ErrRequestTimeTooSkewed},
		{"skew past", docGet, docDate.Add(-16 * time.Minute), ErrRequestTimeTooSkewed},
		{"wrong service", sub("/s3/aws4_request", "/iam/aws4_request"), docDate, ErrMalformed},
		{"wrong terminator", sub("/s3/aws4_request", "/s3/aws5_request"), docDate, ErrMalformed},
		{"scope date", sub("20130524/us-east-1", "20130523/us-east-1"), docDate, ErrMalformed},
		{"short scope", sub("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request", "AKIAIOSFODNN7EXAMPLE/20130524/s3/aws4_request"), docDate, ErrMalformed},
		{"empty region", sub("/us-east-1/", "//"), docDate, ErrMalformed},
		{"no host signed", sub("SignedHeaders=host;range;", "SignedHeaders=range;"), docDate, ErrMalformed},
		{"upper-case signed header", sub("SignedHeaders=host;range;", "SignedHeaders=host;Range;"), docDate, ErrMalformed},
		{"missing signature", sub(",Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", ""), docDate, ErrMalformed},
		{"short signature", sub("f0e8bdb87c9644", "f0e8bdb87c964"), docDate, ErrMalformed},
		{"unknown field", sub("Signature=", "Foo=bar,Signature="), docDate, ErrMalformed},
		{"duplicate field", sub("Signature=", "SignedHeaders=host,Signature="), docDate, ErrMalformed},
		{"bad date", sub("x-amz-date: 20130524T000000Z", "x-amz-date: 2013-05-24"), docDate, ErrBadDate},
		{"no payload hash", sub("x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", ""), docDate, ErrMalformed},
		{"bad payload hash", sub("x-amz-content-sha256:e3b0", "x-amz-content-sha256:zzzz"), docDate, ErrInvalidArgument},
		{"sigv4a payload", sub("x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "x-amz-content-sha256:STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"), docDate, ErrUnsupported},
		{"signature mismatch", sub("Range: bytes=0-9", "Range: bytes=0-10"), docDate, ErrSignatureDoesNotMatch},
		{"sigv4a", "GET / HTTP/1.1\nHost: x\nAuthorization: AWS4-ECDSA-P256-SHA256 Credential=a/20130524/s3/aws4_request, SignedHeaders=host, Signature=00", docDate, ErrUnsupported},
		{"other scheme", "GET / HTTP/1.1\nHost: x\nAuthorization: Bearer abc", docDate, ErrInvalidArgument},
		{"two mechanisms", "GET /?X-Amz-Signature=00 HTTP/1.1\nHost: x\nAuthorization: AWS a:b", docDate, ErrMalformed},
		{"two authorization headers", "GET / HTTP/1.1\nHost: x\nAuthorization: AWS a:b\nAuthorization: AWS a:b", docDate, ErrMalformed},
		{"presign missing parts", "GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00 HTTP/1.1\nHost: x", docDate, ErrMalformed},
		{"presign expires too long", "GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1\nHost: x", docDate, ErrPresignExpiry},
		{"presign expires zero", "GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=0&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1\nHost: x", docDate, ErrPresignExpiry},
		{"presign sigv4a", "GET /k?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=a&X-Amz-Date=20130524T000000Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=00 HTTP/1.1\nHost: x", docDate, ErrMalformed},
		{"presign duplicate", "GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Algorithm=AWS4-HMAC-SHA256 HTTP/1.1\nHost: x", docDate, ErrMalformed},
		{"v2 no colon", "GET / HTTP/1.1\nHost: x\nDate: Tue, 27 Mar 2007 19:36:42 +0000\nAuthorization: AWS abc", docDate, ErrInvalidArgument},
		{"v2 no date", "GET / HTTP/1.1\nHost: x\nAuthorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", docDate, ErrBadDate},
		{"v2 empty x-amz-date over a good Date", "GET / HTTP/1.1\nHost: x\nDate: Tue, 27 Mar 2007 19:36:42 +0000\nx-amz-date: \nAuthorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", time.Date(2007, 3, 27, 19, 36, 0, 0, time.UTC), ErrBadDate},
		{"v2 bad x-amz-date", "GET / HTTP/1.1\nHost: x\nx-amz-date: Bad Date\nAuthorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", docDate, ErrBadDate},
		{"v2 date before epoch", "GET / HTTP/1.1\nHost: x\nx-amz-date: Tue, 07 Jul 1950 21:53:04 GMT\nAuthorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", docDate, ErrBadDate},
		{"v2 date after 9999", "GET / HTTP/1.1\nHost: x\nx-amz-date: Tue, 07 Jul 9999 21:53:04 GMT\nAuthorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", docDate, ErrRequestTimeTooSkewed},
		{"v4 no date", strings.Replace(docGet, "\nx-amz-date: 20130524T000000Z", "", 1), docDate, ErrBadDate},
		{"v4 empty x-amz-date", sub("x-amz-date: 20130524T000000Z", "x-amz-date: "), docDate, ErrBadDate},
		{"empty authorization", "GET / HTTP/1.1\nHost: x\nAuthorization: ", docDate, ErrMissing},
		{"presign expires negative", "GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=-7&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1\nHost: x", docDate, ErrPresignExpiry},
		{"presign expires not a number", "GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=soon&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1\nHost: x", docDate, ErrMalformed},
		{"v2 presigned beyond 7 days", "GET /photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620 HTTP/1.1\nHost: johnsmith.s3.amazonaws.com", time.Unix(1175139620-8*24*3600, 0), ErrPresignExpiry},
		{"v2 skew", "GET /photos/puppy.jpg HTTP/1.1\nHost: x\nDate: Tue, 27 Mar 2007 19:36:42 +0000\nAuthorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", time.Date(2007, 3, 27, 19, 52, 0, 0, time.UTC), ErrRequestTimeTooSkewed},
		{"v2 bad base64", "GET / HTTP/1.1\nHost: x\nDate: Tue, 27 Mar 2007 19:36:42 +0000\nAuthorization: AWS AKIAIOSFODNN7EXAMPLE:!!", time.Date(2007, 3, 27, 19, 36, 0, 0, time.UTC), ErrSignatureDoesNotMatch},
		{"session token", docGet + "\nX-Amz-Security-Token: tok", docDate, ErrInvalidToken},
		{"presigned session token", "GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=t&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1\nHost: x", docDate, ErrInvalidToken},
		{"v2 presigned signature not base64", "GET /b/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=my-signature HTTP/1.1\nHost: x", time.Unix(1175139000, 0), ErrSignatureDoesNotMatch},
		{"v2 unknown key", "GET / HTTP/1.1\nHost: x\nDate: Tue, 27 Mar 2007 19:36:42 +0000\nAuthorization: AWS NOPE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", time.Date(2007, 3, 27, 19, 36, 0, 0, time.UTC), ErrInvalidAccessKeyID},
		{"v2 presigned expired", "GET /photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620 HTTP/1.1\nHost: johnsmith.s3.amazonaws.com", time.Unix(1175139621, 0), ErrExpired},
		{"v2 presigned bad expires", "GET /photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=soon HTTP/1.1\nHost: johnsmith.s3.amazonaws.com", time.Unix(1175139621, 0), ErrMalformed},
		{"v2 presigned missing", "GET /photos/puppy.jpg?Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1 HTTP/1.1\nHost: johnsmith.s3.amazonaws.com", time.Unix(0, 0), ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(wire(t, c.head), exampleKeys, c.now)
			if !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
			if err != c.want && !strings.HasPrefix(err.Error(), c.want.Error()+": ") {
				t.Fatalf("message %q does not start with the kind", err)
			}
		})
	}
}

// xbcloud signs SigV2 x-amz-* headers as "name=lower-cased value"; the
// gateway accepts that, the documented form and the documented form with
// lower-cased values, and nothing else.
func TestV2LowercasedAmzValues(t *testing.T) {
	now := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	date := now.Format(time.RFC1123)
	sign := func(sts string) string { return signV2ForTest(exampleSecret, sts) }
	base := "PUT\n1B2M2Y8AsgTpgAmvKcObWQ==\napplication/octet-stream\n" + date + "\n"
	for _, c := range []struct {
		name, amz string
		ok        bool
	}{
		{"exact", "x-amz-storage-class:STANDARD_IA\n", true},
		{"lowercased (xbcloud)", "x-amz-storage-class:standard_ia\n", true},
		{"xbcloud", "x-amz-storage-class=standard_ia\n", true},
		{"xbcloud separator, exact case", "x-amz-storage-class=STANDARD_IA\n", false},
		{"trailing space", "x-amz-storage-class:STANDARD_IA \n", false},
	} {
		sig := sign(base + c.amz + "/bucket/backup/ibdata1.00000000000000000000")
		r := wire(t, "PUT /bucket/backup/ibdata1.00000000000000000000 HTTP/1.1\nHost: 127.0.0.1:9000\nDate: "+date+
			"\nContent-MD5: 1B2M2Y8AsgTpgAmvKcObWQ==\nContent-Type: application/octet-stream\nX-Amz-Storage-Class: STANDARD_IA\nAuthorization: AWS "+exampleAK+":"+sig)
		_, err := Verify(r, exampleKeys, now)
		if c.ok != (err == nil) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// Virtual-host HEAD / as xbcloud's DNS-style probe sends it.
func TestV2VirtualHostProbe(t *testing.T) {
	now := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	date := now.Format(time.RFC1123)
	sig := signV2ForTest(exampleSecret, "HEAD\n\n\n"+date+"\n/mybucket/")
	r := wire(t, "HEAD / HTTP/1.1\nHost: mybucket.127.0.0.1.nip.io:9000\nDate: "+date+"\nAuthorization: AWS "+exampleAK+":"+sig)
	if _, err := VerifyWithBucket(r, exampleKeys, now, "mybucket"); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(r, exampleKeys, now); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("path-style check of a virtual-host signature: %v", err)
	}
}

// Sub-resources: the classic list and the extended list both verify.
func TestV2Subresources(t *testing.T) {
	now := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	date := now.Format(time.RFC1123)
	for _, c := range []struct{ target, resource string }{
		{"/b/k?uploadId=xyz&partNumber=2", "/b/k?partNumber=2&uploadId=xyz"},
		{"/b/?uploads&prefix=p", "/b/?uploads"},
		{"/b/k?tagging", "/b/k?tagging"}, // extended list
		{"/b/k?tagging", "/b/k"},         // classic list
		{"/b/k?response-content-type=text%2Fplain&x=1", "/b/k?response-content-type=text/plain"},
		{"/b/?versions&versionId=v1&list-type=2", "/b/?versionId=v1&versions"},
		{"/b/dir/a%20b%2Bc", "/b/dir/a%20b%2Bc"}, // path as sent
		{"/b/dir/a%20b%2Bc", "/b/dir/a b+c"},     // path decoded
	} {
		sig := signV2ForTest(exampleSecret, "GET\n\n\n"+date+"\n"+c.resource)
		r := wire(t, "GET "+c.target+" HTTP/1.1\nHost: h\nDate: "+date+"\nAuthorization: AWS "+exampleAK+":"+sig)
		if _, err := Verify(r, exampleKeys, now); err != nil {
			t.Errorf("%s signed as %s: %v", c.target, c.resource, err)
		}
	}
}
