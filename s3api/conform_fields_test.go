package s3api

import (
	"strings"
	"testing"
)

// A range-spec with whitespace inside is no range (the whole object), as
// S3 reads it: "bytes= -1" is not the last byte.
func TestRangeWhitespaceIsNoRange(t *testing.T) {
	for _, h := range []string{"bytes= -1", "bytes=0 -1", "bytes=0- 1", "bytes=--1", "bytes=0--1"} {
		off, n, partial, err := parseRange(h, 10)
		if err != nil || partial || off != 0 || n != 10 {
			t.Errorf("%q: off %d n %d partial %v err %v, want the whole object", h, off, n, partial, err)
		}
	}
	if off, n, partial, err := parseRange("bytes=-1", 10); err != nil || !partial || off != 9 || n != 1 {
		t.Errorf("bytes=-1: off %d n %d partial %v err %v", off, n, partial, err)
	}
}

func TestEmptyContentMD5(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("bar"), header: map[string]string{"Content-MD5": ""}}, 400, "InvalidDigest")
}

// The Location of CompleteMultipartUpload is an absolute URL naming the
// object the way the request addressed the bucket.
func TestCompleteLocationAbsolute(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	for _, c := range []struct{ target, host, want string }{
		{"/bkt/dir/a%20b", "", "http://127.0.0.1:9000/bkt/dir/a%20b"},
		{"/dir/a%20b", "bkt.s3.test:9000", "http://bkt.s3.test:9000/dir/a%20b"},
	} {
		var up struct{ UploadId string }
		decodeXML(t, e.ok(req{method: "POST", target: c.target + "?uploads", host: c.host}, 200), &up)
		w := e.ok(req{method: "PUT", target: c.target + "?partNumber=1&uploadId=" + up.UploadId, body: []byte("p"), host: c.host}, 200)
		body := `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + w.Header().Get("ETag") + `</ETag></Part></CompleteMultipartUpload>`
		w = e.ok(req{method: "POST", target: c.target + "?uploadId=" + up.UploadId, body: []byte(body), host: c.host}, 200)
		if !strings.Contains(w.Body.String(), "<Location>"+c.want+"</Location>") {
			t.Errorf("%s (Host %q): %s, want Location %s", c.target, c.host, w.Body.String(), c.want)
		}
	}
}
