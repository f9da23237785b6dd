package xbcloud

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"
)

// curlEscape escapes s as curl_easy_escape does: every byte outside
// A-Za-z0-9-._~ becomes %XX with upper-case hex.
func curlEscape(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

// escapePath escapes each '/'-separated segment of p.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = curlEscape(s)
	}
	return strings.Join(segs, "/")
}

// query is an ordered list of parameters. encode sorts them, which makes
// the query as sent equal to SigV4's canonical query string.
type query [][2]string

func (q query) encode() string {
	s := append(query(nil), q...)
	sort.Slice(s, func(i, j int) bool {
		if s[i][0] != s[j][0] {
			return s[i][0] < s[j][0]
		}
		return s[i][1] < s[j][1]
	})
	parts := make([]string, len(s))
	for i, kv := range s {
		parts[i] = curlEscape(kv[0]) + "=" + curlEscape(kv[1])
	}
	return strings.Join(parts, "&")
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// signV4 adds X-Amz-Date and Authorization to h. host is the Host header
// value, path the escaped path as sent, rawQuery the query as sent (already
// canonical), payloadHash the hex SHA-256 already set in h. Every header
// in h except Accept, Accept-Encoding, Expect and Content-Length is signed.
func signV4(h http.Header, method, host, path, rawQuery, region, accessKey, secretKey string, now time.Time) {
	amzDate := now.UTC().Format("20060102T150405Z")
	day := amzDate[:8]
	h.Set("X-Amz-Date", amzDate)
	names := []string{"host"}
	vals := map[string]string{"host": host}
	for k, v := range h {
		lk := strings.ToLower(k)
		switch lk {
		case "accept", "accept-encoding", "expect", "content-length", "authorization", "user-agent":
			continue
		}
		names = append(names, lk)
		vals[lk] = strings.TrimSpace(strings.Join(v, ","))
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, n := range names {
		ch.WriteString(n + ":" + vals[n] + "\n")
	}
	signed := strings.Join(names, ";")
	creq := strings.Join([]string{method, path, rawQuery, ch.String(), signed, h.Get("X-Amz-Content-Sha256")}, "\n")
	scope := day + "/" + region + "/s3/aws4_request"
	sum := sha256.Sum256([]byte(creq))
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	k := hmacSHA256([]byte("AWS4"+secretKey), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, "s3")
	k = hmacSHA256(k, "aws4_request")
	sig := hex.EncodeToString(hmacSHA256(k, sts))
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+accessKey+"/"+scope+", SignedHeaders="+signed+", Signature="+sig)
}

// signV2 adds Date (as given) and Authorization to h. resource is the path as sent,
// prefixed with /bucket for DNS-style requests. Like xbcloud, it lowercases
// the values of x-amz-* headers in the string to sign (the names are
// lowercased by the spec; the values are xbcloud's quirk).
func signV2(h http.Header, method, resource, accessKey, secretKey, date string) {
	h.Set("Date", date)
	var amz []string
	for k, v := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") {
			amz = append(amz, lk+":"+strings.ToLower(strings.TrimSpace(strings.Join(v, ","))))
		}
	}
	sort.Strings(amz)
	var sts strings.Builder
	sts.WriteString(method + "\n" + h.Get("Content-Md5") + "\n" + h.Get("Content-Type") + "\n" + h.Get("Date") + "\n")
	for _, a := range amz {
		sts.WriteString(a + "\n")
	}
	sts.WriteString(resource)
	m := hmac.New(sha1.New, []byte(secretKey))
	m.Write([]byte(sts.String()))
	h.Set("Authorization", "AWS "+accessKey+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

// SignV4 signs h for a request to host with the escaped path and the
// canonical (sorted, escaped) query rawQuery. The caller sets
// X-Amz-Content-SHA256 first (a hex digest or UNSIGNED-PAYLOAD). It is
// exported for the benchmark's minimal S3 client.
func SignV4(h http.Header, method, host, path, rawQuery, region, accessKey, secretKey string, now time.Time) {
	signV4(h, method, host, path, rawQuery, region, accessKey, secretKey, now)
}
