package auth

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// requestPath returns the request's path exactly as the client sent it:
// the path part of the request-target. S3 signs this raw form (no
// normalisation, no re-escaping), so rebuilding it from a decoded path
// would break signatures of keys with unusual escapes.
func requestPath(r *http.Request) string {
	u := r.RequestURI
	if strings.HasPrefix(u, "/") {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	// Client-side request or absolute-form target.
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// queryParam is one decoded query parameter; hasEq records whether the
// client wrote "name=" rather than a bare "name".
type queryParam struct {
	key, value string
	hasEq      bool
}

type query []queryParam

// parseQuery splits a raw query into decoded parameters, in order. A
// parameter whose escapes do not decode is kept raw: it then simply fails
// to match a signature.
func parseQuery(raw string) query {
	var q query
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, eq := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		q = append(q, queryParam{k, v, eq})
	}
	return q
}

func (q query) has(key string) bool {
	for _, p := range q {
		if p.key == key {
			return true
		}
	}
	return false
}

// get returns the value of key and how often it occurs.
func (q query) get(key string) (string, int) {
	var v string
	n := 0
	for _, p := range q {
		if p.key == key {
			if n == 0 {
				v = p.value
			}
			n++
		}
	}
	return v, n
}

// canonicalQuery is the SigV4 canonical query string: every parameter but
// skip, names and values URI-encoded, sorted by name then value.
func canonicalQuery(q query, skip string) string {
	enc := make([][2]string, 0, len(q))
	for _, p := range q {
		if p.key == skip {
			continue
		}
		enc = append(enc, [2]string{uriEncode(p.key), uriEncode(p.value)})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i][0] != enc[j][0] {
			return enc[i][0] < enc[j][0]
		}
		return enc[i][1] < enc[j][1]
	})
	var b strings.Builder
	for i, kv := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
	}
	return b.String()
}

// uriEncode percent-encodes every byte except the unreserved characters
// A-Z a-z 0-9 - _ . ~, with upper-case hex, as SigV4 requires.
func uriEncode(s string) string {
	const hexUpper = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// headerValues returns the values of a (lower-case) header name as the
// request carries them, including the ones net/http moves out of Header.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		if r.Host != "" {
			return []string{r.Host}
		}
		return []string{r.URL.Host}
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v
		}
		if r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case "transfer-encoding":
		if v := r.Header.Values("Transfer-Encoding"); len(v) > 0 {
			return v
		}
		return r.TransferEncoding
	}
	return r.Header.Values(name) // canonicalises the name itself
}

// trimValue trims a header value and collapses runs of spaces into one.
func trimValue(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
