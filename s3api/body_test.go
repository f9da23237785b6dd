package s3api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"envelopegw/s3api/checksum"
)

func crc32b64(b []byte) string {
	h := crc32.NewIEEE()
	h.Write(b)
	return checksum.Encode(h.Sum(nil))
}

// unsignedChunked encodes data as aws-chunked with chunks of size n and
// the given trailer lines.
func unsignedChunked(data []byte, n int, trailer string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		c := data[:min(n, len(data))]
		data = data[len(c):]
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(c), c)
	}
	b.WriteString("0\r\n")
	b.WriteString(trailer)
	b.WriteString("\r\n")
	return b.Bytes()
}

func chunkedHeaders(mode string, decoded int, extra map[string]string) map[string]string {
	h := map[string]string{
		"Content-Encoding":             "aws-chunked",
		"x-amz-decoded-content-length": strconv.Itoa(decoded),
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

func TestUnsignedTrailerBody(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	data := bytes.Repeat([]byte("abcdefgh"), 3000)
	crc := crc32b64(data)
	hdr := chunkedHeaders("", len(data), map[string]string{"x-amz-trailer": "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm": "CRC32"})

	body := unsignedChunked(data, 8192, "x-amz-checksum-crc32:"+crc+"\r\n")
	w := e.ok(req{method: "PUT", target: "/bkt/k", body: body, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 200)
	o := e.svc.buckets["bkt"].objects["k"]
	if !bytes.Equal(o.data, data) || o.info.Checksums[ChecksumCRC32] != crc || w.Header().Get("x-amz-checksum-crc32") != crc {
		t.Fatalf("stored %d bytes, checksums %v", len(o.data), o.info.Checksums)
	}
	if o.info.Meta.ContentEncoding != "" {
		t.Errorf("aws-chunked leaked into Content-Encoding: %q", o.info.Meta.ContentEncoding)
	}

	// Wrong trailer value: BadDigest, and the Service saw the error.
	bad := unsignedChunked(data, 8192, "x-amz-checksum-crc32:"+crc32b64([]byte("x"))+"\r\n")
	w = e.fails(req{method: "PUT", target: "/bkt/bad", body: bad, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 400, "BadDigest")
	if !strings.Contains(w.Body.String(), "CRC32") {
		t.Errorf("message: %s", w.Body.String())
	}
	if _, ok := e.svc.buckets["bkt"].objects["bad"]; ok || len(e.svc.bodyErrs) == 0 {
		t.Error("BadDigest body was stored or not seen by the service")
	}
	// Missing trailer, a trailer of another name, a trailer line that is
	// not name:value: MalformedTrailerError, as from S3.
	e.fails(req{method: "PUT", target: "/bkt/bad", body: unsignedChunked(data, 8192, ""), header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 400, "MalformedTrailerError")
	e.fails(req{method: "PUT", target: "/bkt/bad", body: unsignedChunked(data, 8192, "x-amz-checksum-crc32c:AAAAAA==\r\n"), header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 400, "MalformedTrailerError")
	e.fails(req{method: "PUT", target: "/bkt/bad", body: unsignedChunked(data, 8192, "no colon here\r\n"), header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 400, "MalformedTrailerError")
	// Broken chunk framing: the body cannot deliver its declared bytes.
	broken := bytes.Replace(body, []byte("2000\r\n"), []byte("zz00\r\n"), 1)
	e.fails(req{method: "PUT", target: "/bkt/bad", body: broken, header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 400, "IncompleteBody")
	// Decoded length mismatch.
	short := chunkedHeaders("", len(data)+1, map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"})
	e.fails(req{method: "PUT", target: "/bkt/bad", body: body, header: short, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 400, "IncompleteBody")
	long := chunkedHeaders("", len(data)-1, map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"})
	e.fails(req{method: "PUT", target: "/bkt/bad", body: body, header: long, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 400, "IncompleteBody")
	// Truncated stream.
	e.fails(req{method: "PUT", target: "/bkt/bad", body: body[:len(body)/2], header: hdr, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 400, "IncompleteBody")
	// No decoded length.
	nolen := map[string]string{"Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32"}
	e.fails(req{method: "PUT", target: "/bkt/bad", body: body, header: nolen, payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, 411, "MissingContentLength")
	// A trailer needs the trailer form.
	e.fails(req{method: "PUT", target: "/bkt/bad", body: data, header: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}}, 400, "InvalidRequest")
	if _, ok := e.svc.buckets["bkt"].objects["bad"]; ok {
		t.Error("a bad body was stored")
	}
}

// signedChunked builds a STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] body
// for request r (already signed with that payload hash).
func signedChunked(t *testing.T, r *http.Request, data []byte, n int, trailer string) []byte {
	t.Helper()
	authz := r.Header.Get("Authorization")
	i := strings.Index(authz, "Signature=")
	prev := authz[i+len("Signature="):]
	j := strings.Index(authz, "Credential=")
	cred := authz[j+len("Credential=") : strings.Index(authz, ",")]
	parts := strings.SplitN(cred, "/", 2)
	scope := parts[1]
	sp := strings.Split(scope, "/")
	amzDate := r.Header.Get("X-Amz-Date")
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	key := mac(mac(mac(mac([]byte("AWS4"+testSK), sp[0]), sp[1]), sp[2]), sp[3])
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	var b bytes.Buffer
	emit := func(c []byte) {
		sum := sha256.Sum256(c)
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + empty + "\n" + hex.EncodeToString(sum[:])
		prev = hex.EncodeToString(mac(key, sts))
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s\r\n", len(c), prev, c)
	}
	for len(data) > 0 {
		c := data[:min(n, len(data))]
		data = data[len(c):]
		emit(c)
	}
	sum := sha256.Sum256(nil)
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + empty + "\n" + hex.EncodeToString(sum[:])
	prev = hex.EncodeToString(mac(key, sts))
	if trailer == "" {
		fmt.Fprintf(&b, "0;chunk-signature=%s\r\n\r\n", prev)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "0;chunk-signature=%s\r\n", prev)
	tsum := sha256.Sum256([]byte(trailer + "\n"))
	sts = "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + hex.EncodeToString(tsum[:])
	fmt.Fprintf(&b, "%s\r\nx-amz-trailer-signature:%s\r\n\r\n", trailer, hex.EncodeToString(mac(key, sts)))
	return b.Bytes()
}

func TestSignedChunkedBody(t *testing.T) {
	for _, withTrailer := range []bool{false, true} {
		t.Run(fmt.Sprint("trailer=", withTrailer), func(t *testing.T) {
			e := newEnv(t)
			e.mkBucket("bkt")
			data := bytes.Repeat([]byte("0123456789abcdef"), 5000)
			mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
			extra := map[string]string{}
			trailer := ""
			if withTrailer {
				mode += "-TRAILER"
				extra["x-amz-trailer"] = "x-amz-checksum-crc32"
				trailer = "x-amz-checksum-crc32:" + crc32b64(data)
			}
			hdr := chunkedHeaders(mode, len(data), extra)

			build := func(tamper func([]byte) []byte) *http.Request {
				// The body length must be known before signing.
				probe := e.newRequest(req{method: "PUT", target: "/bkt/k", body: []byte{}, header: hdr, payloadHash: mode})
				encLen := len(signedChunked(t, probe, data, 64<<10, trailer))
				placeholder := make([]byte, encLen)
				r := e.newRequest(req{method: "PUT", target: "/bkt/k", body: placeholder, header: hdr, payloadHash: mode})
				body := signedChunked(t, r, data, 64<<10, trailer)
				if tamper != nil {
					body = tamper(body)
				}
				r.Body = &countingReader{data: body}
				return r
			}
			w, _ := e.serve(build(nil))
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			if o := e.svc.buckets["bkt"].objects["k"]; !bytes.Equal(o.data, data) {
				t.Fatalf("stored %d bytes", len(o.data))
			}
			if withTrailer && e.svc.buckets["bkt"].objects["k"].info.Checksums[ChecksumCRC32] != crc32b64(data) {
				t.Errorf("trailer checksum not in Sums")
			}
			delete(e.svc.buckets["bkt"].objects, "k")

			// Flip one payload byte: the chunk signature fails.
			w, _ = e.serve(build(func(b []byte) []byte {
				i := bytes.Index(b, []byte("\r\n")) + 10
				b[i] ^= 1
				return b
			}))
			checkError(t, "PUT", w, 403, "SignatureDoesNotMatch")
			if _, ok := e.svc.buckets["bkt"].objects["k"]; ok || len(e.svc.bodyErrs) == 0 {
				t.Error("tampered body stored or unseen by the service")
			}
		})
	}
}
