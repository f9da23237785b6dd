package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
	"time"

	"envelopegw/s3api/checksum"
)

func TestPutGetHead(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	data := []byte("hello, envelope")
	sum := md5.Sum(data)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	w := e.put("bkt", "dir/a%20b.txt", data, map[string]string{
		"Content-Type":        "text/plain",
		"Content-Disposition": "attachment",
		"Content-Language":    "en",
		"Cache-Control":       "no-cache",
		"Expires":             "Thu, 01 Dec 1994 16:00:00 GMT",
		"Content-Encoding":    "identity",
		"x-amz-meta-Owner":    "dba",
		"Content-MD5":         b64md5(data),
	})
	if w.Header().Get("ETag") != etag {
		t.Errorf("PUT ETag %q, want %q", w.Header().Get("ETag"), etag)
	}
	if o := e.svc.buckets["bkt"].objects["dir/a b.txt"]; o == nil {
		t.Fatal("object not stored under the decoded key")
	}
	for _, m := range []string{"GET", "HEAD"} {
		w = e.ok(req{method: m, target: "/bkt/dir/a%20b.txt"}, 200)
		h := w.Header()
		want := map[string]string{
			"Content-Length":      "15",
			"Content-Type":        "text/plain",
			"ETag":                etag,
			"Last-Modified":       "Tue, 04 Mar 2025 05:06:07 GMT",
			"Accept-Ranges":       "bytes",
			"Content-Disposition": "attachment",
			"Content-Language":    "en",
			"Cache-Control":       "no-cache",
			"Expires":             "Thu, 01 Dec 1994 16:00:00 GMT",
			"Content-Encoding":    "identity",
		}
		for k, v := range want {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", m, k, h.Get(k), v)
			}
		}
		// The metadata name goes out lower case, exactly as S3 sends it.
		if got := h["x-amz-meta-owner"]; len(got) != 1 || got[0] != "dba" {
			t.Errorf("%s: x-amz-meta-owner = %q (headers %v), want exactly [dba] under the lower-case name", m, got, h)
		}
		if got := h["X-Amz-Meta-Owner"]; got != nil {
			t.Errorf("%s: canonicalised X-Amz-Meta-Owner sent: %q", m, got)
		}
		if m == "GET" && w.Body.String() != string(data) {
			t.Errorf("GET body %q", w.Body.String())
		}
		if m == "HEAD" && w.Body.Len() != 0 {
			t.Errorf("HEAD body %q", w.Body.String())
		}
	}
	// Default content type and response overrides.
	e.put("bkt", "plain", []byte("x"), nil)
	if ct := e.ok(req{method: "GET", target: "/bkt/plain"}, 200).Header().Get("Content-Type"); ct != "binary/octet-stream" {
		t.Errorf("default Content-Type %q", ct)
	}
	w = e.ok(req{method: "GET", target: "/bkt/plain?response-content-type=image/png&response-content-disposition=inline&response-cache-control=max-age%3D1&response-expires=never&response-content-language=fr&response-content-encoding=gzip"}, 200)
	for k, v := range map[string]string{"Content-Type": "image/png", "Content-Disposition": "inline", "Cache-Control": "max-age=1", "Expires": "never", "Content-Language": "fr", "Content-Encoding": "gzip"} {
		if w.Header().Get(k) != v {
			t.Errorf("override %s = %q, want %q", k, w.Header().Get(k), v)
		}
	}

	e.fails(req{method: "GET", target: "/bkt/missing"}, 404, "NoSuchKey")
	e.fails(req{method: "HEAD", target: "/bkt/missing"}, 404, "NoSuchKey")
	e.fails(req{method: "GET", target: "/nobkt/k"}, 404, "NoSuchBucket")
	e.fails(req{method: "GET", target: "/bkt/plain?versionId=abc"}, 400, "InvalidArgument")
	e.ok(req{method: "GET", target: "/bkt/plain?versionId=null"}, 200)
}

func TestPutValidation(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxObjectSize = 10 })
	e.mkBucket("bkt")
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("x"), header: map[string]string{"Content-MD5": "not base64!"}}, 400, "InvalidDigest")
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("x"), header: map[string]string{"Content-MD5": b64md5([]byte("y"))}}, 400, "BadDigest")
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("01234567890")}, 400, "EntityTooLarge")
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("x"), header: map[string]string{"x-amz-meta-big": strings.Repeat("v", MaxUserMetadataSize)}}, 400, "MetadataTooLarge")
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("x"), header: map[string]string{"If-None-Match": `"etag"`}}, 501, "NotImplemented")

	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("abc"), noLength: true}, 411, "MissingContentLength")

	// A wrong signed payload digest.
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("abc"), payloadHash: strings.Repeat("0", 64)}, 400, "XAmzContentSHA256Mismatch")
	// UNSIGNED-PAYLOAD is accepted.
	e.ok(req{method: "PUT", target: "/bkt/k", body: []byte("abc"), payloadHash: "UNSIGNED-PAYLOAD"}, 200)
	if len(e.svc.buckets["bkt"].objects) != 1 {
		t.Errorf("failed PUTs stored objects: %d", len(e.svc.buckets["bkt"].objects))
	}
}

// A body shorter than its Content-Length is IncompleteBody, and the
// Service sees the error.
func TestIncompleteBody(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	r := e.newRequest(req{method: "PUT", target: "/bkt/k", body: []byte("abcdef"), payloadHash: "UNSIGNED-PAYLOAD"})
	r.Body = http.MaxBytesReader(nil, &countingReader{data: []byte("abc")}, 100)
	r.ContentLength = 6
	w, _ := e.serve(r)
	checkError(t, "PUT", w, 400, "IncompleteBody")
	if len(e.svc.bodyErrs) != 1 {
		t.Errorf("service saw %d body errors", len(e.svc.bodyErrs))
	}
}

func TestChecksumHeaders(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	data := []byte("checksummed payload")
	crc := checksum.Encode(crc32.NewIEEE().Sum(nil))
	h := crc32.NewIEEE()
	h.Write(data)
	crc = checksum.Encode(h.Sum(nil))

	w := e.put("bkt", "k", data, map[string]string{"x-amz-checksum-crc32": crc, "x-amz-sdk-checksum-algorithm": "CRC32"})
	if w.Header().Get("x-amz-checksum-crc32") != crc {
		t.Errorf("PUT did not echo the checksum: %v", w.Header())
	}
	if got := e.svc.buckets["bkt"].objects["k"].info.Checksums[ChecksumCRC32]; got != crc {
		t.Errorf("Sums checksum %q, want %q", got, crc)
	}
	// Only computed when asked for by algorithm.
	e.put("bkt", "k2", data, map[string]string{"x-amz-sdk-checksum-algorithm": "crc32"})
	if got := e.svc.buckets["bkt"].objects["k2"].info.Checksums[ChecksumCRC32]; got != crc {
		t.Errorf("computed checksum %q, want %q", got, crc)
	}

	// Mismatch: BadDigest naming the algorithm, nothing stored, the
	// Service saw the error.
	before := len(e.svc.bodyErrs)
	w = e.fails(req{method: "PUT", target: "/bkt/bad", body: data, header: map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}}, 400, "BadDigest")
	if !strings.Contains(w.Body.String(), "CRC32") {
		t.Errorf("BadDigest message does not name the algorithm: %s", w.Body.String())
	}
	if _, ok := e.svc.buckets["bkt"].objects["bad"]; ok {
		t.Error("object stored despite BadDigest")
	}
	if len(e.svc.bodyErrs) != before+1 || !errors.Is(e.svc.bodyErrs[before], ErrBadDigest) {
		t.Errorf("service body errors: %v", e.svc.bodyErrs)
	}
	e.fails(req{method: "PUT", target: "/bkt/bad", body: data, header: map[string]string{"x-amz-checksum-crc32": "nope"}}, 400, "InvalidRequest")
	e.fails(req{method: "PUT", target: "/bkt/bad", body: data, header: map[string]string{"x-amz-checksum-crc32": crc, "x-amz-checksum-sha1": "2jmj7l5rSw0yVb/vlWAYkK/YBwk="}}, 400, "InvalidRequest")
	e.fails(req{method: "PUT", target: "/bkt/bad", body: data, header: map[string]string{"x-amz-sdk-checksum-algorithm": "MD4"}}, 400, "InvalidRequest")

	// GET returns checksums only with x-amz-checksum-mode: ENABLED and
	// only for the whole object.
	if v := e.ok(req{method: "GET", target: "/bkt/k"}, 200).Header().Get("x-amz-checksum-crc32"); v != "" {
		t.Errorf("checksum without checksum mode: %q", v)
	}
	w = e.ok(req{method: "HEAD", target: "/bkt/k", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}}, 200)
	if w.Header().Get("x-amz-checksum-crc32") != crc || w.Header().Get("x-amz-checksum-type") != "FULL_OBJECT" {
		t.Errorf("HEAD checksum headers: %v", w.Header())
	}
	w = e.ok(req{method: "GET", target: "/bkt/k", header: map[string]string{"x-amz-checksum-mode": "ENABLED", "Range": "bytes=0-1"}}, 206)
	if v := w.Header().Get("x-amz-checksum-crc32"); v != "" {
		t.Errorf("checksum on a range: %q", v)
	}
}

// A Service that reads exactly Size bytes and never asks for io.EOF still
// gets the verification error, on the last Read.
func TestVerifyWithoutEOF(t *testing.T) {
	e := newEnv(t)
	e.svc.readExact = true
	e.mkBucket("bkt")
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("abcdef"), header: map[string]string{"Content-MD5": b64md5([]byte("other"))}}, 400, "BadDigest")
	if _, ok := e.svc.buckets["bkt"].objects["k"]; ok {
		t.Error("stored despite BadDigest")
	}
	e.put("bkt", "k", []byte("abcdef"), map[string]string{"Content-MD5": b64md5([]byte("abcdef"))})
	e.put("bkt", "empty", nil, nil)
}

func TestConditions(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	w := e.put("bkt", "k", []byte("data"), nil)
	etag := w.Header().Get("ETag")
	lm := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	before := lm.Add(-time.Hour).Format(http.TimeFormat)
	after := lm.Add(time.Hour).Format(http.TimeFormat)
	exact := lm.Format(http.TimeFormat)

	cases := []struct {
		hdr    map[string]string
		status int
	}{
		{map[string]string{"If-Match": etag}, 200},
		{map[string]string{"If-Match": `"other", ` + etag}, 200},
		{map[string]string{"If-Match": "*"}, 200},
		{map[string]string{"If-Match": `"other"`}, 412},
		{map[string]string{"If-None-Match": etag}, 304},
		{map[string]string{"If-None-Match": "*"}, 304},
		{map[string]string{"If-None-Match": `"other"`}, 200},
		{map[string]string{"If-Modified-Since": exact}, 304},
		{map[string]string{"If-Modified-Since": after}, 304},
		{map[string]string{"If-Modified-Since": before}, 200},
		{map[string]string{"If-Modified-Since": "garbage"}, 200},
		{map[string]string{"If-Unmodified-Since": before}, 412},
		{map[string]string{"If-Unmodified-Since": exact}, 200},
		// S3: If-Match true wins over If-Unmodified-Since false.
		{map[string]string{"If-Match": etag, "If-Unmodified-Since": before}, 200},
		// S3: If-None-Match false (it matches) with If-Modified-Since true: 304.
		{map[string]string{"If-None-Match": etag, "If-Modified-Since": before}, 304},
		// If-None-Match true: If-Modified-Since is ignored.
		{map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": after}, 200},
		{map[string]string{"If-Match": `"other"`, "If-None-Match": etag}, 412},
	}
	for _, c := range cases {
		for _, m := range []string{"GET", "HEAD"} {
			w, _ := e.do(req{method: m, target: "/bkt/k", header: c.hdr})
			if w.Code != c.status {
				t.Errorf("%s %v: status %d, want %d", m, c.hdr, w.Code, c.status)
				continue
			}
			switch c.status {
			case 304:
				if w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
					t.Errorf("%s %v: 304 with body %q / ETag %q", m, c.hdr, w.Body.String(), w.Header().Get("ETag"))
				}
			case 412:
				checkError(t, m, w, 412, "PreconditionFailed")
			}
		}
	}
}

func TestRanges(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	data := []byte("0123456789")
	e.put("bkt", "k", data, nil)
	e.put("bkt", "empty", []byte{}, nil)
	cases := []struct {
		rng          string
		status       int
		body, crange string
	}{
		{"bytes=0-3", 206, "0123", "bytes 0-3/10"},
		{"bytes=7-", 206, "789", "bytes 7-9/10"},
		{"bytes=-3", 206, "789", "bytes 7-9/10"},
		{"bytes=-30", 206, "0123456789", "bytes 0-9/10"},
		{"bytes=5-100", 206, "56789", "bytes 5-9/10"},
		{"bytes=9-9", 206, "9", "bytes 9-9/10"},
		{"bytes=0-0,5-6", 200, "0123456789", ""},
		{"bytes=5-2", 200, "0123456789", ""},
		{"items=0-3", 200, "0123456789", ""},
		{"bytes=x-3", 200, "0123456789", ""},
		{"bytes=10-", 416, "", "bytes */10"},
		{"bytes=10-20", 416, "", "bytes */10"},
		{"bytes=-0", 416, "", "bytes */10"},
	}
	for _, c := range cases {
		w, _ := e.do(req{method: "GET", target: "/bkt/k", header: map[string]string{"Range": c.rng}})
		if w.Code != c.status || w.Header().Get("Content-Range") != c.crange {
			t.Errorf("%s: status %d Content-Range %q, want %d %q", c.rng, w.Code, w.Header().Get("Content-Range"), c.status, c.crange)
			continue
		}
		if c.status == 416 {
			checkError(t, "GET", w, 416, "InvalidRange")
			continue
		}
		if w.Body.String() != c.body || w.Header().Get("Content-Length") != itoa(int64(len(c.body))) {
			t.Errorf("%s: body %q (Content-Length %s), want %q", c.rng, w.Body.String(), w.Header().Get("Content-Length"), c.body)
		}
	}
	w := e.fails(req{method: "GET", target: "/bkt/empty", header: map[string]string{"Range": "bytes=0-"}}, 416, "InvalidRange")
	if w.Header().Get("Content-Range") != "bytes */0" {
		t.Errorf("empty object 416 Content-Range %q", w.Header().Get("Content-Range"))
	}
	w = e.ok(req{method: "HEAD", target: "/bkt/k", header: map[string]string{"Range": "bytes=2-4"}}, 206)
	if w.Header().Get("Content-Length") != "3" || w.Header().Get("Content-Range") != "bytes 2-4/10" {
		t.Errorf("HEAD range headers %v", w.Header())
	}
	e.fails(req{method: "GET", target: "/bkt/k?partNumber=1", header: map[string]string{"Range": "bytes=0-1"}}, 400, "InvalidRequest")
}

// A read error after the headers went out aborts the connection instead
// of ending the body cleanly.
func TestGetAbortsOnReadError(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	data := bytes.Repeat([]byte("z"), 3<<20)
	e.put("bkt", "k", data, nil)
	e.svc.failRead["k"] = errors.New("segment 7 failed authentication")
	w, aborted := e.do(req{method: "GET", target: "/bkt/k"})
	if !aborted {
		t.Fatalf("not aborted: status %d, %d body bytes", w.Code, w.Body.Len())
	}
	if !strings.Contains(e.logs.String(), "segment 7 failed authentication") || !strings.Contains(e.logs.String(), "aborted=true") {
		t.Errorf("abort not logged: %s", e.logs.String())
	}
}

func TestDeleteObject(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("x"), nil)
	e.ok(req{method: "DELETE", target: "/bkt/k"}, 204)
	e.ok(req{method: "DELETE", target: "/bkt/k"}, 204)
	e.fails(req{method: "DELETE", target: "/nobkt/k"}, 404, "NoSuchBucket")
	e.fails(req{method: "DELETE", target: "/bkt/k?versionId=v1"}, 400, "InvalidArgument")
}

func TestPartNumberGet(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "single", []byte("abc"), nil)
	w := e.ok(req{method: "GET", target: "/bkt/single?partNumber=1"}, 206)
	if w.Body.String() != "abc" || w.Header().Get("Content-Range") != "bytes 0-2/3" {
		t.Errorf("partNumber=1 of a single-part object: %q %v", w.Body.String(), w.Header())
	}
	e.fails(req{method: "GET", target: "/bkt/single?partNumber=2"}, 416, "InvalidPartNumber")
	e.fails(req{method: "GET", target: "/bkt/single?partNumber=0"}, 400, "InvalidArgument")
	e.fails(req{method: "GET", target: "/bkt/single?partNumber=10001"}, 400, "InvalidArgument")
}

func TestUnsupportedHeaders(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	for _, h := range []map[string]string{
		{"x-amz-server-side-encryption-customer-algorithm": "AES256"},
		{"x-amz-server-side-encryption": "aws:kms"},
		{"x-amz-object-lock-mode": "COMPLIANCE"},
		{"x-amz-write-offset-bytes": "10"},
	} {
		e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("x"), header: h}, 501, "NotImplemented")
		e.fails(req{method: "POST", target: "/bkt/k?uploads", header: h}, 501, "NotImplemented")
	}
	e.put("bkt", "k", []byte("x"), map[string]string{"x-amz-server-side-encryption": "AES256"})
	e.fails(req{method: "PUT", target: "/bkt2", header: map[string]string{"x-amz-bucket-object-lock-enabled": "true"}}, 501, "NotImplemented")
}
