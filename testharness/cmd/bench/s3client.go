package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"envelopegw/testharness/xbcloud"
)

// s3 is the benchmark's minimal S3 client. It signs with SigV4 and sends
// UNSIGNED-PAYLOAD for multipart parts, so that the client spends no CPU
// hashing what the server must hash anyway; single PUTs carry a real
// SHA-256 and Content-MD5 precomputed once per buffer, like xbcloud's.
type s3 struct {
	endpoint *url.URL
	ak, sk   string
	hc       *http.Client
}

func newS3(endpoint, ak, sk string, conns int) (*s3, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: conns,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      64 << 10,
		DisableCompression:  true,
	}
	return &s3{endpoint: u, ak: ak, sk: sk, hc: &http.Client{Transport: tr}}, nil
}

// body is a request payload with, optionally, its precomputed digests.
type body struct {
	data   []byte
	sha256 string // hex; "" sends UNSIGNED-PAYLOAD
	md5    string // base64; "" sends no Content-MD5
}

func digests(b []byte) body {
	s := sha256.Sum256(b)
	m := md5.Sum(b)
	return body{data: b, sha256: hex.EncodeToString(s[:]), md5: base64.StdEncoding.EncodeToString(m[:])}
}

func escape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "%2F", "/")
}

// do sends one request and returns the answer's headers and body; a
// non-2xx answer, or an S3 <Error> in a 200 (Complete may do that), is an
// error.
func (c *s3) do(ctx context.Context, method, path string, q url.Values, b body) (http.Header, []byte, error) {
	resp, err := c.send(ctx, method, path, q, b)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 || bytes.Contains(rb, []byte("<Error>")) {
		return nil, nil, fmt.Errorf("%s %s?%s: HTTP %d: %.300s", method, path, resp.Request.URL.RawQuery, resp.StatusCode, rb)
	}
	return resp.Header, rb, nil
}

// send signs and sends one request and returns the response unread.
func (c *s3) send(ctx context.Context, method, path string, q url.Values, b body) (*http.Response, error) {
	rawQuery := strings.ReplaceAll(q.Encode(), "+", "%20")
	u := *c.endpoint
	u.Path, u.RawPath, u.RawQuery = path, escape(path), rawQuery
	var rd io.Reader = http.NoBody
	if b.data != nil {
		rd = bytes.NewReader(b.data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.ContentLength = int64(len(b.data))
	ph := b.sha256
	if ph == "" {
		ph = "UNSIGNED-PAYLOAD"
		if b.data == nil {
			ph = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		}
	}
	req.Header.Set("X-Amz-Content-SHA256", ph)
	if b.md5 != "" {
		req.Header.Set("Content-MD5", b.md5)
	}
	// Canonical query: url.Values.Encode sorts by key; a bare key
	// ("uploads") is signed with an empty value.
	xbcloud.SignV4(req.Header, method, u.Host, u.EscapedPath(), rawQuery, "us-east-1", c.ak, c.sk, time.Now())
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

func (c *s3) createBucket(ctx context.Context, bucket string) error {
	_, _, err := c.do(ctx, http.MethodPut, "/"+bucket+"/", nil, body{})
	return err
}

func (c *s3) put(ctx context.Context, bucket, key string, b body) error {
	_, _, err := c.do(ctx, http.MethodPut, "/"+bucket+"/"+key, nil, b)
	return err
}

func (c *s3) del(ctx context.Context, bucket, key string) error {
	_, _, err := c.do(ctx, http.MethodDelete, "/"+bucket+"/"+key, nil, body{})
	return err
}

// multipart uploads parts (one after the other) as bucket/key.
func (c *s3) multipart(ctx context.Context, bucket, key string, parts func(i int) []byte, n int) error {
	p := "/" + bucket + "/" + key
	_, rb, err := c.do(ctx, http.MethodPost, p, url.Values{"uploads": {""}}, body{})
	if err != nil {
		return err
	}
	var init struct{ UploadId string }
	if err := xml.Unmarshal(rb, &init); err != nil || init.UploadId == "" {
		return fmt.Errorf("CreateMultipartUpload %s: no UploadId in %.200q", p, rb)
	}
	var done strings.Builder
	done.WriteString("<CompleteMultipartUpload>")
	for i := 1; i <= n; i++ {
		h, _, err := c.do(ctx, http.MethodPut, p, url.Values{"partNumber": {fmt.Sprint(i)}, "uploadId": {init.UploadId}}, body{data: parts(i)})
		if err != nil {
			return err
		}
		fmt.Fprintf(&done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i, h.Get("ETag"))
	}
	done.WriteString("</CompleteMultipartUpload>")
	_, _, err = c.do(ctx, http.MethodPost, p, url.Values{"uploadId": {init.UploadId}}, digests([]byte(done.String())))
	return err
}
