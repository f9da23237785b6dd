package s3api

import (
	"net/http"
	"testing"
)

// checkWrite is the fake's conditional write: the fake holds its lock, so
// the check and the write are one step.
func (b *fakeBucket) checkWrite(key string, c WriteConditions) error {
	o := b.objects[key]
	etag := ""
	if o != nil {
		etag = o.info.ETag
	}
	return c.Check(o != nil, etag)
}

func TestParseWriteConditions(t *testing.T) {
	for _, tc := range []struct {
		h    http.Header
		want WriteConditions
		err  string
	}{
		{http.Header{}, WriteConditions{}, ""},
		{http.Header{"If-None-Match": {"*"}}, WriteConditions{IfNoneMatch: true}, ""},
		{http.Header{"If-None-Match": {" * "}}, WriteConditions{IfNoneMatch: true}, ""},
		{http.Header{"If-Match": {`"abc"`}}, WriteConditions{IfMatch: "abc"}, ""},
		{http.Header{"If-Match": {`W/"abc"`}}, WriteConditions{IfMatch: "abc"}, ""},
		{http.Header{"If-Match": {"abc"}}, WriteConditions{IfMatch: "abc"}, ""},
		{http.Header{"If-Match": {"*"}}, WriteConditions{IfMatch: "*"}, ""},
		{http.Header{"If-None-Match": {`"abc"`}}, WriteConditions{}, "NotImplemented"},
		{http.Header{"If-None-Match": {"*", "*"}}, WriteConditions{}, "NotImplemented"},
		{http.Header{"If-Match": {`"a", "b"`}}, WriteConditions{}, "NotImplemented"},
		{http.Header{"If-Match": {""}}, WriteConditions{}, "NotImplemented"},
	} {
		got, err := parseWriteConditions(tc.h)
		if tc.err != "" {
			if err == nil || AsError(err).Code != tc.err {
				t.Errorf("%v: error %v, want %s", tc.h, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %+v, %v; want %+v", tc.h, got, err, tc.want)
		}
	}
}

func TestWriteConditionsCheck(t *testing.T) {
	for _, tc := range []struct {
		c      WriteConditions
		exists bool
		etag   string
		want   string // error code, "" for nil
	}{
		{WriteConditions{}, false, "", ""},
		{WriteConditions{}, true, "e", ""},
		{WriteConditions{IfNoneMatch: true}, false, "", ""},
		{WriteConditions{IfNoneMatch: true}, true, "e", "PreconditionFailed"},
		{WriteConditions{IfMatch: "e"}, true, "e", ""},
		{WriteConditions{IfMatch: "e"}, true, "f", "PreconditionFailed"},
		{WriteConditions{IfMatch: "e"}, false, "", "NoSuchKey"},
		{WriteConditions{IfMatch: "*"}, true, "f", ""},
		{WriteConditions{IfMatch: "*"}, false, "", "NoSuchKey"},
		{WriteConditions{IfMatch: "e", IfNoneMatch: true}, true, "e", "PreconditionFailed"},
	} {
		err := tc.c.Check(tc.exists, tc.etag)
		got := ""
		if err != nil {
			got = AsError(err).Code
		}
		if got != tc.want {
			t.Errorf("%+v.Check(%v, %q) = %v, want %s", tc.c, tc.exists, tc.etag, err, tc.want)
		}
	}
}

// TestConditionalPut: the handler passes If-None-Match / If-Match to the
// Service and answers its verdict; malformed conditions are refused
// before the Service is called.
func TestConditionalPut(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	put := func(hdr map[string]string) req {
		return req{method: "PUT", target: "/bkt/k", body: []byte("data"), header: hdr}
	}
	e.ok(put(map[string]string{"If-None-Match": "*"}), 200)
	// The refused body is read to its end (it is small and the client did
	// not wait for 100 Continue), so the connection stays and the client,
	// still writing it, reads the 412 rather than a broken pipe.
	if w := e.fails(put(map[string]string{"If-None-Match": "*"}), 412, "PreconditionFailed"); w.Header().Get("Connection") == "close" {
		t.Error("a refused small conditional PUT closes the connection")
	}
	if w := e.fails(put(map[string]string{"If-None-Match": "*", "Expect": "100-continue"}), 412, "PreconditionFailed"); w.Header().Get("Connection") != "close" {
		t.Error("a refused conditional PUT that waited for 100 Continue keeps the connection, whose body was never sent")
	}
	etag := quoteETag(e.svc.buckets["bkt"].objects["k"].info.ETag)
	e.fails(put(map[string]string{"If-Match": `"0123"`}), 412, "PreconditionFailed")
	e.ok(put(map[string]string{"If-Match": etag}), 200)
	e.fails(req{method: "PUT", target: "/bkt/new", body: []byte("x"), header: map[string]string{"If-Match": etag}}, 404, "NoSuchKey")
	e.fails(put(map[string]string{"If-None-Match": etag}), 501, "NotImplemented")
	e.fails(req{method: "POST", target: "/bkt/k?uploads", header: map[string]string{"If-None-Match": "*"}}, 501, "NotImplemented")
}

// TestConditionalCopy: If-None-Match / If-Match on CopyObject reach the
// Service as destination conditions, x-amz-checksum-algorithm as the
// destination's algorithm.
func TestConditionalCopy(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "src", []byte("data"), nil)
	copyReq := func(dst string, h map[string]string) req {
		hdr := map[string]string{"x-amz-copy-source": "/bkt/src"}
		for k, v := range h {
			hdr[k] = v
		}
		return req{method: "PUT", target: "/bkt/" + dst, header: hdr}
	}
	e.ok(copyReq("dst", map[string]string{"If-None-Match": "*", "x-amz-checksum-algorithm": "sha256"}), 200)
	if e.svc.lastCopyChecksum != "SHA256" {
		t.Errorf("copy checksum algorithm %q, want SHA256", e.svc.lastCopyChecksum)
	}
	e.fails(copyReq("dst", map[string]string{"If-None-Match": "*"}), 412, "PreconditionFailed")
	e.fails(copyReq("dst", map[string]string{"If-Match": `"nope"`}), 412, "PreconditionFailed")
	e.fails(copyReq("dst2", map[string]string{"x-amz-checksum-algorithm": "BLAKE3"}), 400, "InvalidRequest")
}

func TestConditionalPartRefused(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	w := e.ok(req{method: "POST", target: "/bkt/k?uploads"}, 200)
	id := between(w.Body.String(), "<UploadId>", "</UploadId>")
	e.fails(req{method: "PUT", target: "/bkt/k?partNumber=1&uploadId=" + id, body: []byte("x"), header: map[string]string{"If-None-Match": "*"}}, 501, "NotImplemented")
}
