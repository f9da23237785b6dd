package testharness

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The aws-chunked body forms, as x-amz-content-sha256 names them.
const (
	streamingSigned        = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrail = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// What the crafted uploads use: the chunk size most clients send, the
// trailer they send, and the signing scope.
const (
	chunkedTestChunkSize   = 64 << 10
	chunkedTestTrailerName = "x-amz-checksum-crc32"
	chunkedTestRegion      = "us-east-1"
	chunkedTestService     = "s3"
	sigV4Algorithm         = "AWS4-HMAC-SHA256"
)

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// chunkedBody describes an aws-chunked upload to craft, and what to break.
type chunkedBody struct {
	mode      string // one of the streaming* constants
	data      []byte
	chunkSize int
	// trailer is the value sent for x-amz-checksum-crc32 ("" = the right one).
	trailer string
	// Faults.
	badChunkSig   int  // 1-based chunk whose signature is altered (0 = none)
	flipByteChunk int  // 1-based chunk with one data byte flipped after signing
	badTrailerSig bool // alter the trailer signature
	truncate      int  // drop this many bytes from the end of the encoded body
}

// chunkedRequest builds a PUT of bucket/key (with query, e.g. an UploadPart)
// whose body is encoded and signed chunk by chunk as SigV4 streaming
// specifies: the seed signature from the headers, each chunk's signature
// chained on the previous one, then the trailer's.
func chunkedRequest(t *testing.T, g *Gateway, path, rawQuery string, cb chunkedBody) *http.Request {
	t.Helper()
	if cb.chunkSize == 0 {
		cb.chunkSize = chunkedTestChunkSize
	}
	trailerValue := cb.trailer
	if trailerValue == "" {
		trailerValue = crc32b64(crc32.IEEETable, cb.data)
	}
	withTrailer := cb.mode != streamingSigned
	signedChunks := cb.mode != streamingUnsignedTrail

	// Chunk layout first: the encoded length is part of the signed headers.
	var chunks [][]byte
	for rest := cb.data; len(rest) > 0; {
		n := min(cb.chunkSize, len(rest))
		chunks = append(chunks, rest[:n])
		rest = rest[n:]
	}
	chunks = append(chunks, nil) // the final zero-length chunk
	trailerText := chunkedTestTrailerName + ":" + trailerValue
	encodedLen := 0
	for _, c := range chunks {
		encodedLen += len(strconv.FormatInt(int64(len(c)), 16))
		if signedChunks {
			encodedLen += len(";chunk-signature=") + 64
		}
		encodedLen += 2 + len(c)
		if len(c) > 0 {
			encodedLen += 2
		}
	}
	if withTrailer {
		encodedLen += len(trailerText) + 2
		if signedChunks {
			encodedLen += len("x-amz-trailer-signature:") + 64 + 2
		}
	}
	encodedLen += 2

	req, err := http.NewRequest("PUT", g.Endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.RawQuery = rawQuery
	req.ContentLength = int64(encodedLen)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(cb.data)))
	req.Header.Set("X-Amz-Content-Sha256", cb.mode)
	if withTrailer {
		req.Header.Set("X-Amz-Trailer", chunkedTestTrailerName)
	}
	now := time.Now().UTC()
	creds := aws.Credentials{AccessKeyID: g.AccessKey, SecretAccessKey: g.SecretKey}
	if err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(), creds, req, cb.mode, chunkedTestService, chunkedTestRegion, now); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	i := strings.Index(auth, "Signature=")
	if i < 0 {
		t.Fatalf("no signature in %q", auth)
	}
	prev := auth[i+len("Signature="):]
	amzDate := req.Header.Get("X-Amz-Date")
	day := amzDate[:8]
	scope := day + "/" + chunkedTestRegion + "/" + chunkedTestService + "/aws4_request"
	key := hmacSHA256([]byte("AWS4"+g.SecretKey), day)
	key = hmacSHA256(key, chunkedTestRegion)
	key = hmacSHA256(key, chunkedTestService)
	key = hmacSHA256(key, "aws4_request")
	emptyHash := sha256Hex(nil)

	var body bytes.Buffer
	for n, c := range chunks {
		if signedChunks {
			sts := strings.Join([]string{sigV4Algorithm + "-PAYLOAD", amzDate, scope, prev, emptyHash, sha256Hex(c)}, "\n")
			sig := hex.EncodeToString(hmacSHA256(key, sts))
			prev = sig
			if cb.badChunkSig == n+1 {
				sig = strings.Repeat("0", 64)
			}
			fmt.Fprintf(&body, "%x;chunk-signature=%s\r\n", len(c), sig)
		} else {
			fmt.Fprintf(&body, "%x\r\n", len(c))
		}
		if cb.flipByteChunk == n+1 && len(c) > 0 {
			c = append([]byte(nil), c...)
			c[len(c)/2] ^= 0x01
		}
		body.Write(c)
		if len(c) > 0 {
			body.WriteString("\r\n")
		}
	}
	if withTrailer {
		body.WriteString(trailerText + "\r\n")
		if signedChunks {
			sts := strings.Join([]string{sigV4Algorithm + "-TRAILER", amzDate, scope, prev, sha256Hex([]byte(trailerText + "\n"))}, "\n")
			sig := hex.EncodeToString(hmacSHA256(key, sts))
			if cb.badTrailerSig {
				sig = strings.Repeat("f", 64)
			}
			body.WriteString("x-amz-trailer-signature:" + sig + "\r\n")
		}
	}
	body.WriteString("\r\n")
	if body.Len() != encodedLen {
		t.Fatalf("crafted body is %d bytes, computed %d", body.Len(), encodedLen)
	}
	b := body.Bytes()[:body.Len()-cb.truncate]
	req.Body = http.NoBody
	if len(b) > 0 {
		req.Body = readCloser{bytes.NewReader(b)}
	}
	req.ContentLength = int64(encodedLen) // a truncated body lies about its length, as a dropped connection would
	return req
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// TestAWSChunkedUploads crafts every aws-chunked form by hand — signed
// chunks, signed chunks with a signed trailer, unsigned chunks with a
// trailer — and checks that well-formed ones store the exact bytes, and
// that a bad chunk signature, altered chunk data, a wrong trailer checksum,
// a bad trailer signature or a short body fail with the right S3 error and
// leave no object (and no part) behind.
func TestAWSChunkedUploads(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	data := Data(8, 3*chunkedTestChunkSize+1234)
	wrongCRC := crc32b64(crc32.IEEETable, []byte("not the data"))

	send := func(key string, cb chunkedBody) (*http.Response, []byte) {
		t.Helper()
		return rawDo(t, g, chunkedRequest(t, g, "/"+b+"/"+key, "", cb))
	}
	gone := func(key string) {
		t.Helper()
		_, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
		if httpStatus(err) != http.StatusNotFound {
			t.Errorf("%s: a failed upload left an object behind (HEAD: %v)", key, err)
		}
	}

	for _, mode := range []string{streamingSigned, streamingSignedTrailer, streamingUnsignedTrail} {
		t.Run(mode, func(t *testing.T) {
			key := "good-" + strings.ToLower(mode)
			resp, body := send(key, chunkedBody{mode: mode, data: data})
			if resp.StatusCode != 200 {
				t.Fatalf("well-formed %s upload: %d %s", mode, resp.StatusCode, body)
			}
			if resp.Header.Get("ETag") != quoted(md5hex(data)) {
				t.Errorf("ETag %q, want %s", resp.Header.Get("ETag"), quoted(md5hex(data)))
			}
			if got := get(t, c, b, key); !bytes.Equal(got, data) {
				t.Fatalf("%s upload stored %d different bytes", mode, len(got))
			}
			if mode != streamingSigned {
				h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
				if err != nil {
					t.Fatal(err)
				}
				if aws.ToString(h.ChecksumCRC32) != crc32b64(crc32.IEEETable, data) {
					t.Errorf("trailer checksum not stored: HEAD CRC32 %q", aws.ToString(h.ChecksumCRC32))
				}
			}
			// Chunk sizes other than 64 KiB, and an empty body.
			resp, body = send(key+"-8k", chunkedBody{mode: mode, data: data, chunkSize: 8192})
			if resp.StatusCode != 200 {
				t.Errorf("8 KiB chunks: %d %s", resp.StatusCode, body)
			}
			resp, body = send(key+"-empty", chunkedBody{mode: mode, data: []byte{}})
			if resp.StatusCode != 200 {
				t.Errorf("empty aws-chunked body: %d %s", resp.StatusCode, body)
			} else if got := get(t, c, b, key+"-empty"); len(got) != 0 {
				t.Errorf("empty upload reads back %d bytes", len(got))
			}

			if mode != streamingUnsignedTrail {
				resp, body = send("badsig", chunkedBody{mode: mode, data: data, badChunkSig: 2})
				checkXMLError(t, resp, body, http.StatusForbidden, "SignatureDoesNotMatch")
				gone("badsig")
				resp, body = send("flipped", chunkedBody{mode: mode, data: data, flipByteChunk: 3})
				checkXMLError(t, resp, body, http.StatusForbidden, "SignatureDoesNotMatch")
				gone("flipped")
				resp, body = send("badfinal", chunkedBody{mode: mode, data: data, badChunkSig: 5}) // the zero-length chunk
				checkXMLError(t, resp, body, http.StatusForbidden, "SignatureDoesNotMatch")
				gone("badfinal")
			}
			if mode != streamingSigned {
				resp, body = send("badtrailer", chunkedBody{mode: mode, data: data, trailer: wrongCRC})
				checkXMLError(t, resp, body, http.StatusBadRequest, "BadDigest")
				gone("badtrailer")
			}
			if mode == streamingSignedTrailer {
				resp, body = send("badtrailersig", chunkedBody{mode: mode, data: data, badTrailerSig: true})
				checkXMLError(t, resp, body, http.StatusForbidden, "SignatureDoesNotMatch")
				gone("badtrailersig")
			}
			if mode == streamingUnsignedTrail {
				// Unsigned chunks: flipped data is caught by the checksum.
				resp, body = send("flipped", chunkedBody{mode: mode, data: data, flipByteChunk: 2})
				checkXMLError(t, resp, body, http.StatusBadRequest, "BadDigest")
				gone("flipped")
			}

			// A failed overwrite leaves the old object whole.
			fault := chunkedBody{mode: mode, data: Data(9, len(data)), badChunkSig: 1}
			if mode == streamingUnsignedTrail {
				fault = chunkedBody{mode: mode, data: Data(9, len(data)), trailer: wrongCRC}
			}
			resp, _ = send(key, fault)
			if resp.StatusCode == 200 {
				t.Errorf("faulty overwrite accepted")
			}
			if got := get(t, c, b, key); !bytes.Equal(got, data) {
				t.Errorf("a rejected overwrite changed the object")
			}
		})
	}

	t.Run("short body", func(t *testing.T) {
		req := chunkedRequest(t, g, "/"+b+"/short", "", chunkedBody{mode: streamingSigned, data: data, truncate: 70000})
		resp, err := g.HTTPClient().Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Errorf("a truncated aws-chunked body was accepted")
			}
		}
		gone("short")
	})

	t.Run("UploadPart", func(t *testing.T) {
		key := "mp"
		cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		q := "partNumber=1&uploadId=" + aws.ToString(cr.UploadId)
		part := Data(10, 5*mib)
		resp, body := rawDo(t, g, chunkedRequest(t, g, "/"+b+"/"+key, q, chunkedBody{mode: streamingSigned, data: part, badChunkSig: 7}))
		checkXMLError(t, resp, body, http.StatusForbidden, "SignatureDoesNotMatch")
		resp, body = rawDo(t, g, chunkedRequest(t, g, "/"+b+"/"+key, "partNumber=2&uploadId="+aws.ToString(cr.UploadId), chunkedBody{mode: streamingUnsignedTrail, data: part, trailer: wrongCRC}))
		checkXMLError(t, resp, body, http.StatusBadRequest, "BadDigest")
		lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: cr.UploadId})
		if err != nil {
			t.Fatal(err)
		}
		if len(lp.Parts) != 0 {
			t.Errorf("rejected parts were kept: %d listed", len(lp.Parts))
		}
		resp, body = rawDo(t, g, chunkedRequest(t, g, "/"+b+"/"+key, q, chunkedBody{mode: streamingSignedTrailer, data: part}))
		if resp.StatusCode != 200 {
			t.Fatalf("signed chunked UploadPart: %d %s", resp.StatusCode, body)
		}
		if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(resp.Header.Get("ETag"))}}}}); err != nil {
			t.Fatal(err)
		}
		if got := get(t, c, b, key); !bytes.Equal(got, part) {
			t.Errorf("object from a chunked part differs")
		}
	})
}
