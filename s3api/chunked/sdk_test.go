package chunked

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"envelopegw/s3api/auth"
	"envelopegw/s3api/checksum"
)

// A real client as a vector source: aws-sdk-go-v2's S3 client sends its
// request to this RoundTripper, which authenticates it with package auth
// and decodes the body with this package, as the gateway does.
type decodeTransport struct {
	t       *testing.T
	payload string // x-amz-content-sha256 seen
	data    []byte
	trailer http.Header
	header  http.Header
}

var sdkKeys = mapKeys{"AKIDCHUNKED": "chunked/secret"}

type mapKeys map[string]string

func (m mapKeys) SecretKey(ak string) (string, bool) { s, ok := m[ak]; return s, ok }

func (d *decodeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// As the server sees it: RequestURI and Host set.
	r.RequestURI = r.URL.RequestURI()
	r.Host = r.URL.Host
	if r.ContentLength >= 0 {
		r.Header.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	res, err := auth.Verify(r, sdkKeys, time.Now())
	if err != nil {
		d.t.Errorf("auth.Verify: %v", err)
		return nil, err
	}
	d.payload, d.header = res.PayloadHash, r.Header.Clone()
	var body io.Reader = r.Body
	var cr *Reader
	if strings.HasPrefix(res.PayloadHash, "STREAMING-") {
		n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if err != nil {
			d.t.Errorf("x-amz-decoded-content-length: %v", err)
		}
		var v Verifier
		if res.Chunks != nil {
			v = res.Chunks
		}
		cr = New(r.Body, Options{
			Signed: res.Chunks != nil, Verifier: v,
			Trailer:          strings.HasSuffix(res.PayloadHash, "-TRAILER"),
			HasDecodedLength: true, DecodedLength: n,
		})
		body = cr
	}
	d.data, err = io.ReadAll(body)
	if err != nil {
		d.t.Errorf("decoding the body: %v", err)
		return nil, err
	}
	if cr != nil {
		d.trailer = cr.Trailer()
	}
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Etag": {`"0123456789abcdef0123456789abcdef"`}},
		Body:       io.NopCloser(strings.NewReader("")),
		Request:    r,
	}, nil
}

func sdkClient(tr http.RoundTripper, endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDCHUNKED", SecretAccessKey: "chunked/secret"}, nil
		}),
		HTTPClient:       &http.Client{Transport: tr},
		RetryMaxAttempts: 1,
	})
}

// onlyReader hides Seek, so the SDK cannot hash the body up front and has
// to stream it.
type onlyReader struct{ io.Reader }

func TestSDKPutObjectBodies(t *testing.T) {
	data := bytes.Repeat([]byte("envelopegw chunked body "), 20000) // 480 000 bytes
	crc := crc32.ChecksumIEEE(data)
	wantCRC := checksum.Encode([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	for _, c := range []struct {
		name     string
		endpoint string
		body     io.Reader
		alg      types.ChecksumAlgorithm
	}{
		{"https, streamed, CRC32 trailer", "https://gw.example", onlyReader{bytes.NewReader(data)}, types.ChecksumAlgorithmCrc32},
		{"https, seekable, CRC32", "https://gw.example", bytes.NewReader(data), types.ChecksumAlgorithmCrc32},
		{"http, seekable, CRC32", "http://127.0.0.1:9000", bytes.NewReader(data), types.ChecksumAlgorithmCrc32},
		{"http, seekable, no checksum", "http://127.0.0.1:9000", bytes.NewReader(data), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := &decodeTransport{t: t}
			in := &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("dir/key with spaces+plus"), Body: c.body, ChecksumAlgorithm: c.alg}
			if _, ok := c.body.(onlyReader); ok {
				in.ContentLength = aws.Int64(int64(len(data)))
			}
			_, err := sdkClient(tr, c.endpoint).PutObject(context.Background(), in)
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if !bytes.Equal(tr.data, data) {
				t.Fatalf("server decoded %d bytes, want %d (payload mode %s)", len(tr.data), len(data), tr.payload)
			}
			got := tr.trailer.Get("X-Amz-Checksum-Crc32")
			if got == "" {
				got = tr.header.Get("X-Amz-Checksum-Crc32")
			}
			if c.alg != "" && got != wantCRC {
				t.Fatalf("CRC32 = %q (trailer %v), want %s; payload mode %s", got, tr.trailer, wantCRC, tr.payload)
			}
			if len(tr.payload) == 64 {
				sum := sha256.Sum256(data)
				if tr.payload != hex.EncodeToString(sum[:]) {
					t.Fatalf("payload hash %s is not the body's", tr.payload)
				}
			}
			t.Logf("x-amz-content-sha256: %s", tr.payload)
		})
	}
}
