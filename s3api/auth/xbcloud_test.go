package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// xbcloud cannot be installed here, so this file signs requests the way
// its S3 client does (facts from Percona XtraBackup's xbcloud/s3.cc and
// http.h; see /work/shared/xbcloud-wire.md), written independently of the
// verifier:
//   - headers live in a map sorted by their spelled name; SigV4 signs all of
//     them, lower-cased, with raw values; the URI is curl-escaped as sent and
//     the query string is the sorted, escaped parameters;
//   - SigV2 writes each x-amz header as "name=value" with the value
//     lower-cased, always sends Content-MD5, and prefixes the resource with
//     "/bucket" in DNS (virtual-host) lookup mode.

func curlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

type xbRequest struct {
	method, host, bucket, key string
	dns                       bool
	params                    map[string]string
	headers                   map[string]string
	payload                   []byte
}

func (x *xbRequest) path() string {
	p := "/"
	if !x.dns {
		p += x.bucket + "/"
	}
	segs := strings.Split(x.key, "/")
	for i := range segs {
		segs[i] = curlEscape(segs[i])
	}
	return p + strings.Join(segs, "/")
}

func (x *xbRequest) query() string {
	var names []string
	for k := range x.params {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		parts = append(parts, curlEscape(k)+"="+curlEscape(x.params[k]))
	}
	return strings.Join(parts, "&")
}

func (x *xbRequest) hostname() string {
	if x.dns {
		return x.bucket + "." + x.host
	}
	return x.host
}

func xbHMAC(h func() hash.Hash, key []byte, s string) []byte {
	m := hmac.New(h, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func (x *xbRequest) signV4(ak, sk, region string, t time.Time) {
	date := t.UTC().Format("20060102T150405Z")
	x.headers["Host"] = x.hostname()
	x.headers["X-Amz-Date"] = date
	sum := sha256.Sum256(x.payload)
	x.headers["X-Amz-Content-SHA256"] = hex.EncodeToString(sum[:])
	keys := map[string]string{}
	var lower []string
	for k := range x.headers {
		keys[strings.ToLower(k)] = k
		lower = append(lower, strings.ToLower(k))
	}
	sort.Strings(lower)
	var c strings.Builder
	c.WriteString(x.method + "\n" + x.path() + "\n" + x.query() + "\n")
	for _, k := range lower {
		c.WriteString(k + ":" + x.headers[keys[k]] + "\n")
	}
	signed := strings.Join(lower, ";")
	c.WriteString("\n" + signed + "\n" + hex.EncodeToString(sum[:]))
	cr := sha256.Sum256([]byte(c.String()))
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + date[:8] + "/" + region + "/s3/aws4_request\n" + hex.EncodeToString(cr[:])
	k := xbHMAC(sha256.New, []byte("AWS4"+sk), date[:8])
	k = xbHMAC(sha256.New, k, region)
	k = xbHMAC(sha256.New, k, "s3")
	k = xbHMAC(sha256.New, k, "aws4_request")
	x.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=" + ak + "/" + date[:8] + "/" + region +
		"/s3/aws4_request, SignedHeaders=" + signed + ", Signature=" + hex.EncodeToString(xbHMAC(sha256.New, k, sts))
}

func (x *xbRequest) signV2(ak, sk string, t time.Time) {
	x.headers["Date"] = t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	if _, ok := x.headers["Content-MD5"]; !ok {
		m := md5.Sum(x.payload)
		x.headers["Content-MD5"] = base64.StdEncoding.EncodeToString(m[:])
	}
	s := x.method + "\n" + x.headers["Content-MD5"] + "\n" + x.headers["Content-Type"] + "\n" + x.headers["Date"] + "\n"
	var names []string
	for k := range x.headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if l := strings.ToLower(k); strings.HasPrefix(l, "x-amz") {
			s += l + "=" + strings.ToLower(x.headers[k]) + "\n"
		}
	}
	if x.dns {
		s += "/" + x.bucket
	}
	s += x.path()
	x.headers["Host"] = x.hostname()
	x.headers["Authorization"] = "AWS " + ak + ":" + base64.StdEncoding.EncodeToString(xbHMAC(sha1.New, []byte(sk), s))
}

// wireHead renders the request as xbcloud's curl sends it, with the
// unsigned headers curl adds.
func (x *xbRequest) wireHead() string {
	target := x.path()
	if q := x.query(); q != "" {
		target += "?" + q
	}
	var b strings.Builder
	b.WriteString(x.method + " " + target + " HTTP/1.1\n")
	for k, v := range x.headers {
		b.WriteString(k + ": " + v + "\n")
	}
	b.WriteString("Accept: */*\nAccept-Encoding: gzip\n")
	if len(x.payload) > 0 {
		b.WriteString("Content-Length: " + strconv.Itoa(len(x.payload)) + "\nExpect: 100-continue")
	} else {
		b.WriteString("Content-Length: 0")
	}
	return b.String()
}

func TestXbcloudRequests(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	const ak, sk = "XBCLOUDKEY", "xbcloud/Secret+Key"
	creds := keys{ak: sk}
	chunk := []byte("XBSTCK01\x00P\x0b\x00\x00\x00./ibdata1 payload")
	md5sum := md5.Sum(nil)
	emptyMD5 := base64.StdEncoding.EncodeToString(md5sum[:])
	type mk func() *xbRequest
	reqs := map[string]mk{
		"probe HEAD": func() *xbRequest {
			return &xbRequest{method: "HEAD", bucket: "backups", headers: map[string]string{"Content-MD5": emptyMD5}}
		},
		"list": func() *xbRequest {
			return &xbRequest{method: "GET", bucket: "backups", params: map[string]string{"max-keys": "1000", "prefix": "full-2026-11-29/"}, headers: map[string]string{"Content-MD5": emptyMD5}}
		},
		"list with marker": func() *xbRequest {
			return &xbRequest{method: "GET", bucket: "backups", params: map[string]string{"max-keys": "1000", "prefix": "full/", "marker": "full/ibdata1.00000000000000000007"}, headers: map[string]string{"Content-MD5": emptyMD5}}
		},
		"put chunk": func() *xbRequest {
			return &xbRequest{method: "PUT", bucket: "backups", key: "full-2026-11-29/db one/t@1#p#p0.ibd.00000000000000000000", payload: chunk,
				headers: map[string]string{"Content-Type": "application/octet-stream", "X-Amz-Storage-Class": "STANDARD_IA"}}
		},
		"delete": func() *xbRequest {
			return &xbRequest{method: "DELETE", bucket: "backups", key: "full/xtrabackup_checkpoints.00000000000000000000", headers: map[string]string{"Content-MD5": emptyMD5}}
		},
	}
	for name, newReq := range reqs {
		for _, dns := range []bool{false, true} {
			for _, v2 := range []bool{false, true} {
				x := newReq()
				x.host, x.dns = "127.0.0.1:9000", dns
				if x.params == nil {
					x.params = map[string]string{}
				}
				if v2 {
					x.signV2(ak, sk, now)
				} else {
					x.signV4(ak, sk, "us-east-1", now)
				}
				bucket := ""
				if dns {
					bucket = x.bucket
				}
				r := wire(t, x.wireHead())
				res, err := VerifyWithBucket(r, creds, now.Add(3*time.Second), bucket)
				if err != nil {
					t.Errorf("%s dns=%v v2=%v: %v\n%s", name, dns, v2, err, x.wireHead())
					continue
				}
				if want := map[bool]int{false: 4, true: 2}[v2]; res.Version != want {
					t.Errorf("%s: version %d", name, res.Version)
				}
				if !v2 {
					sum := sha256.Sum256(x.payload)
					if res.PayloadHash != hex.EncodeToString(sum[:]) {
						t.Errorf("%s: payload hash %s", name, res.PayloadHash)
					}
				}
			}
		}
	}
}
