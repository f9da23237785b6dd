package xbcloud

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeS3 is an in-memory S3 of one region that checks every request
// against the xbcloud wire pattern and verifies both signature versions
// by recomputing them from what arrived on the wire.
type fakeS3 struct {
	t        *testing.T
	ak, sk   string
	domain   string // virtual hosts <bucket>.<domain>; "" accepts none
	noV2     bool   // answer 403 to SigV2 requests
	pageSize int

	mu         sync.Mutex
	buckets    map[string]map[string][]byte
	violations []string
	methods    map[string]int
	hideKey    string                                   // prefix never listed (to make put's final check fail)
	fail       func(r *http.Request, n int) (int, bool) // status to answer, or drop the connection
	calls      map[string]int
}

func newFakeS3(t *testing.T) (*fakeS3, *httptest.Server) {
	f := &fakeS3{t: t, ak: "AKTEST", sk: "secret/key+1", pageSize: 1000,
		buckets: map[string]map[string][]byte{}, methods: map[string]int{}, calls: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeS3) violate(format string, a ...any) {
	f.violations = append(f.violations, fmt.Sprintf(format, a...))
}

func (f *fakeS3) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.violations) > 0 {
		t.Errorf("%d wire violations, first: %s", len(f.violations), strings.Join(f.violations[:min(5, len(f.violations))], "\n"))
	}
}

func xmlErr(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<Error><Code>%s</Code><Message>fake says %s</Message></Error>", code, code)
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	raw := r.URL.EscapedPath()
	if f.fail != nil {
		f.calls[r.Method+raw]++
		if status, drop := f.fail(r, f.calls[r.Method+raw]); drop {
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close()
			return
		} else if status != 0 {
			xmlErr(w, status, "Injected")
			return
		}
	}
	f.methods[r.Method]++
	// The wire pattern.
	if _, ok := r.Header["User-Agent"]; ok {
		f.violate("%s %s: User-Agent %q sent", r.Method, raw, r.UserAgent())
	}
	sum := md5.Sum(body)
	if got := r.Header.Get("Content-MD5"); got != base64.StdEncoding.EncodeToString(sum[:]) {
		f.violate("%s %s: Content-MD5 %q does not match the body", r.Method, raw, got)
	}
	if r.Header.Get("Accept") != "*/*" || r.Header.Get("Accept-Encoding") != "gzip" {
		f.violate("%s %s: Accept headers %q %q", r.Method, raw, r.Header.Get("Accept"), r.Header.Get("Accept-Encoding"))
	}
	if len(body) > 1024 && r.Header.Get("Expect") != "100-continue" {
		f.violate("%s %s: %d-byte body without Expect: 100-continue", r.Method, raw, len(body))
	}
	// Bucket from the Host (DNS style) or the first path segment.
	bucket, key := "", ""
	host := r.Host
	if f.domain != "" && strings.HasSuffix(strings.Split(host, ":")[0], "."+f.domain) {
		bucket = strings.TrimSuffix(strings.Split(host, ":")[0], "."+f.domain)
		key = strings.TrimPrefix(r.URL.Path, "/")
	} else {
		if f.domain == "" && strings.Count(strings.Split(host, ":")[0], ".") != 3 {
			xmlErr(w, 400, "InvalidHost") // an unknown virtual host
			return
		}
		p := strings.TrimPrefix(r.URL.Path, "/")
		bucket, key, _ = strings.Cut(p, "/")
	}
	// Signature, recomputed from the request as received.
	h := http.Header{}
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "AWS4-HMAC-SHA256 "):
		ph := sha256.Sum256(body)
		if r.Header.Get("X-Amz-Content-Sha256") != hex.EncodeToString(ph[:]) {
			f.violate("%s %s: X-Amz-Content-SHA256 is not the body's SHA-256", r.Method, raw)
		}
		if r.Header.Get("Date") != "" {
			f.violate("%s %s: Date sent with SigV4", r.Method, raw)
		}
		signed := strings.Split(strings.Split(strings.Split(auth, "SignedHeaders=")[1], ",")[0], ";")
		for _, n := range signed {
			if n != "host" {
				h[http.CanonicalHeaderKey(n)] = r.Header.Values(n)
			}
		}
		for _, must := range []string{"content-md5", "host", "x-amz-content-sha256", "x-amz-date"} {
			if !strings.Contains(";"+strings.Join(signed, ";")+";", ";"+must+";") {
				f.violate("%s %s: %s not signed", r.Method, raw, must)
			}
		}
		date, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		h.Del("X-Amz-Date")
		signV4(h, r.Method, r.Host, raw, r.URL.RawQuery, "us-east-1", f.ak, f.sk, date)
	case strings.HasPrefix(auth, "AWS "):
		if f.noV2 {
			xmlErr(w, 403, "AccessDenied")
			return
		}
		for k, v := range r.Header {
			if k == "Content-Md5" || k == "Content-Type" || strings.HasPrefix(strings.ToLower(k), "x-amz-") {
				h[k] = v
			}
		}
		res := raw
		if f.domain != "" && strings.HasSuffix(strings.Split(host, ":")[0], "."+f.domain) {
			res = "/" + bucket + raw
		}
		signV2(h, r.Method, res, f.ak, f.sk, r.Header.Get("Date"))
	default:
		xmlErr(w, 403, "AccessDenied")
		return
	}
	if h.Get("Authorization") != auth {
		xmlErr(w, 403, "SignatureDoesNotMatch")
		return
	}
	if key != "" && r.Method == http.MethodPut && r.Header.Get("Content-Type") != "application/octet-stream" {
		f.violate("PUT %s: Content-Type %q", raw, r.Header.Get("Content-Type"))
	}
	b := f.buckets[bucket]
	switch {
	case key == "" && r.Method == http.MethodHead:
		if b == nil {
			w.WriteHeader(404)
		}
	case key == "" && r.Method == http.MethodPut:
		if b == nil {
			f.buckets[bucket] = map[string][]byte{}
		}
	case b == nil:
		xmlErr(w, 404, "NoSuchBucket")
	case key == "" && r.Method == http.MethodGet:
		q := r.URL.Query()
		if q.Has("list-type") || q.Has("encoding-type") {
			f.violate("listing with %s", r.URL.RawQuery)
		}
		var keys []string
		for k := range b {
			if strings.HasPrefix(k, q.Get("prefix")) && k > q.Get("marker") && (f.hideKey == "" || !strings.HasPrefix(k, f.hideKey)) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		limit := min(f.pageSize, 1000)
		if m, _ := strconv.Atoi(q.Get("max-keys")); m < limit {
			limit = m
		}
		trunc := len(keys) > limit
		if trunc {
			keys = keys[:limit]
		}
		var out bytes.Buffer
		fmt.Fprintf(&out, "<ListBucketResult><Name>%s</Name><IsTruncated>%v</IsTruncated>", bucket, trunc)
		for _, k := range keys {
			out.WriteString("<Contents><Key>")
			xml.EscapeText(&out, []byte(k))
			fmt.Fprintf(&out, "</Key><Size>%d</Size></Contents>", len(b[k]))
		}
		out.WriteString("</ListBucketResult>")
		w.Header().Set("Content-Type", "application/xml")
		w.Write(out.Bytes())
	case r.Method == http.MethodPut:
		b[key] = body
	case r.Method == http.MethodGet:
		v, ok := b[key]
		if !ok {
			xmlErr(w, 404, "NoSuchKey")
			return
		}
		w.Write(v)
	case r.Method == http.MethodDelete:
		delete(b, key)
		w.WriteHeader(204)
	default:
		xmlErr(w, 405, "MethodNotAllowed")
	}
}
