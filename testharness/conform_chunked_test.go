package testharness

import (
	"bytes"
	"hash/crc32"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var xmlMessage = regexp.MustCompile(`<Message>([^<]*)</Message>`)

// TestAWSChunkedS3Wording sends aws-chunked bodies that S3 refuses, as raw
// signed HTTP (no SDK produces them), and checks the code and the exact
// sentence S3 answers with, which SDKs surface and people search for:
// broken framing or a body that stops short "terminated unexpectedly", a
// well-framed body of another length than x-amz-decoded-content-length
// did "not provide the number of bytes", a small chunk that is not the
// last is InvalidChunkSizeError, a trailer the request did not declare is
// MalformedTrailerError, an unparseable decoded length is a missing one,
// and checksum headers are counted before their values are read.
func TestAWSChunkedS3Wording(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	const (
		terminated = "The request body terminated unexpectedly"
		short      = "You did not provide the number of bytes specified by the Content-Length HTTP header"
		chunkSize  = "Only the last chunk is allowed to have a size less than 8192 bytes"
		trailer    = "The request contained trailing data that was not well-formed or did not conform to our published schema."
		sdkAlgo    = "Value for x-amz-sdk-checksum-algorithm header is invalid."
		multiple   = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
	)
	crc := crc32b64(crc32.IEEETable, []byte("dummy data"))
	ok := "A\r\ndummy data\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n"
	big := bytes.Repeat([]byte("z"), 8192)
	bigCRC := crc32b64(crc32.IEEETable, append(append([]byte(nil), big...), "dummy data"...))
	for _, tc := range []struct {
		name    string
		body    string
		hdr     map[string]string // added to (or, when "", removed from) the defaults
		status  int
		code    string
		message string
	}{
		{"well-formed", ok, nil, 200, "", ""},
		{"8 KiB chunk then a small last one", "2000\r\n" + string(big) + "\r\nA\r\ndummy data\r\n0\r\nx-amz-checksum-crc32:" + bigCRC + "\r\n\r\n",
			map[string]string{"X-Amz-Decoded-Content-Length": "8202"}, 200, "", ""},
		{"chunk header without CRLF", "A\ndummy data\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n", nil, 400, "IncompleteBody", terminated},
		{"chunk longer than its data", "B\r\ndummy data\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n", nil, 400, "IncompleteBody", terminated},
		{"no empty line after the trailer", strings.TrimSuffix(ok, "\r\n"), nil, 400, "IncompleteBody", terminated},
		{"body ends after the final chunk", "A\r\ndummy data\r\n0\r\n", nil, 400, "IncompleteBody", terminated},
		{"more than declared", ok, map[string]string{"X-Amz-Decoded-Content-Length": "8"}, 400, "IncompleteBody", short},
		{"less than declared", ok, map[string]string{"X-Amz-Decoded-Content-Length": "12"}, 400, "IncompleteBody", short},
		{"small chunk not last", "5\r\ndummy\r\n5\r\n data\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n", nil, 400, "InvalidChunkSizeError", chunkSize},
		{"undeclared trailer", ok, map[string]string{"X-Amz-Trailer": ""}, 400, "MalformedTrailerError", trailer},
		{"other trailer than declared", ok, map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32c"}, 400, "MalformedTrailerError", trailer},
		{"decoded length not a number", ok, map[string]string{"X-Amz-Decoded-Content-Length": "12x"}, 411, "MissingContentLength", "You must provide the Content-Length HTTP header."},
		{"sdk algorithm differs from the trailer", ok, map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "SHA1"}, 400, "InvalidRequest", sdkAlgo},
		{"two checksum headers, one malformed", ok, map[string]string{"X-Amz-Trailer": "", "X-Amz-Checksum-Sha1": "bad", "X-Amz-Checksum-Crc32c": "AAAAAA=="}, 400, "InvalidRequest", multiple},
	} {
		key := strings.ReplaceAll(tc.name, " ", "-")
		hdr := http.Header{
			"Content-Encoding":             {"aws-chunked"},
			"X-Amz-Decoded-Content-Length": {"10"},
			"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
		}
		for k, v := range tc.hdr {
			if v == "" {
				hdr.Del(k)
			} else {
				hdr.Set(k, v)
			}
		}
		resp, body := rawDo(t, g, signed(t, g, "PUT", "/"+b+"/"+key, nil, []byte(tc.body), streamingUnsignedTrail, hdr))
		if tc.status == 200 {
			if resp.StatusCode != 200 {
				t.Errorf("%s: %d %s", tc.name, resp.StatusCode, body)
			}
			continue
		}
		checkWording(t, tc.name, resp, body, tc.status, tc.code, tc.message)
	}

	// The signed form: the chunk size rule, and a chunk header whose
	// signature is cut short is broken framing, not a wrong signature.
	data := Data(5, 100)
	resp, body := rawDo(t, g, chunkedRequest(t, g, "/"+b+"/signed-small", "", chunkedBody{mode: streamingSigned, data: data, chunkSize: 10}))
	checkWording(t, "signed, 10-byte chunks", resp, body, 400, "InvalidChunkSizeError", chunkSize)
	req := chunkedRequest(t, g, "/"+b+"/signed-cut", "", chunkedBody{mode: streamingSigned, data: data})
	enc, _ := readAllBody(req)
	i := bytes.Index(enc, []byte("chunk-signature=")) + len("chunk-signature=")
	// Five signature digits fewer, and five bytes at the end so that the
	// signed Content-Length still holds.
	enc = append(append(enc[:i:i], enc[i+5:]...), "zzzzz"...)
	req.Body = readCloser{bytes.NewReader(enc)}
	resp, body = rawDo(t, g, req)
	checkWording(t, "signed, short chunk signature", resp, body, 400, "IncompleteBody", terminated)
	resp, body = rawDo(t, g, chunkedRequest(t, g, "/"+b+"/signed-ok", "", chunkedBody{mode: streamingSignedTrailer, data: data, chunkSize: 8192}))
	if resp.StatusCode != 200 {
		t.Errorf("signed trailer, one chunk: %d %s", resp.StatusCode, body)
	}
}

func checkWording(t *testing.T, name string, resp *http.Response, body []byte, status int, code, message string) {
	t.Helper()
	m := xmlMessage.FindSubmatch(body)
	if resp.StatusCode != status || !bytes.Contains(body, []byte("<Code>"+code+"</Code>")) || m == nil || string(m[1]) != message {
		t.Errorf("%s: %d %s\nwant %d %s %q", name, resp.StatusCode, body, status, code, message)
	}
}

func readAllBody(req *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(req.Body)
	return buf.Bytes(), err
}
