package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// subresources are the query parameters that belong to a SigV2 canonical
// resource. AWS documents the classic set; newer SDKs (botocore, minio-go)
// add the operations that came later. A client signs with the list it
// knows, so Verify tries both lists when they differ for a request.
var (
	subresourcesClassic = setOf("acl", "delete", "lifecycle", "location", "logging",
		"notification", "partNumber", "policy", "requestPayment", "torrent",
		"uploadId", "uploads", "versionId", "versioning", "versions", "website",
		"response-cache-control", "response-content-disposition",
		"response-content-encoding", "response-content-language",
		"response-content-type", "response-expires")
	subresourcesExtended = union(subresourcesClassic, setOf("accelerate", "analytics",
		"cors", "defaultObjectAcl", "encryption", "inventory", "legal-hold", "metrics",
		"object-lock", "replication", "restore", "retention", "select", "select-type",
		"storageClass", "tagging"))
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func union(a, b map[string]bool) map[string]bool {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

func verifyV2Header(r *http.Request, h string, q query, creds Credentials, now time.Time, bucket string) (*Result, error) {
	ak, sig, ok := strings.Cut(strings.TrimPrefix(h, "AWS "), ":")
	if !ok || ak == "" || sig == "" {
		return nil, invalidArgument("Authorization", h, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
	}
	// The request time: x-amz-date takes precedence over Date, even when
	// it is empty (S3 then refuses the request rather than fall back).
	stamp, name := r.Header.Values("X-Amz-Date"), "x-amz-date"
	if len(stamp) == 0 {
		stamp, name = r.Header.Values("Date"), "Date"
	}
	if len(stamp) == 0 {
		return nil, errorf(ErrBadDate, "SigV2 request has neither Date nor x-amz-date")
	}
	t, ok := parseHTTPDate(stamp[0])
	if !ok {
		return nil, errorf(ErrBadDate, "SigV2 request %s %.60q is not an HTTP date", name, stamp[0])
	}
	if t.Before(time.Unix(0, 0)) {
		return nil, errorf(ErrBadDate, "SigV2 request %s %.60q is before 1970", name, stamp[0])
	}
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return nil, errorf(ErrRequestTimeTooSkewed, "request time %s is %s away from server time %s (max %s)",
			t.UTC().Format(time.RFC1123), d.Abs().Round(time.Second), now.UTC().Format(time.RFC1123), MaxSkew)
	}
	return finishV2(r, q, ak, sig, "", false, creds, bucket)
}

// parseHTTPDate accepts the date forms clients send in Date (and SigV2
// x-amz-date): RFC 1123 with a zone name or a numeric offset (the AWS
// examples use "+0000", Python's email.utils.formatdate "-0000"), the
// other HTTP date forms, and ISO 8601 basic.
func parseHTTPDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC, iso8601Basic} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func verifyV2Query(r *http.Request, q query, creds Credentials, now time.Time, bucket string) (*Result, error) {
	const where = "presigned URL"
	var vals [3]string
	for i, name := range []string{"AWSAccessKeyId", "Signature", "Expires"} {
		v, n := q.get(name)
		if n != 1 {
			return nil, malformed("%s: query parameter %s must appear once, found %d", where, name, n)
		}
		vals[i] = v
	}
	ak, sig, expires := vals[0], vals[1], vals[2]
	if ak == "" || sig == "" {
		return nil, malformed("%s: empty AWSAccessKeyId or Signature", where)
	}
	// A raw '+' of a base64 signature decodes to a space.
	sig = strings.ReplaceAll(sig, " ", "+")
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || exp < 0 {
		return nil, malformed("%s: Expires %.40q is not a Unix time", where, expires)
	}
	if limit := now.Add(MaxPresignExpiry + MaxSkew); exp > limit.Unix() {
		// SigV2 names an end time, not a duration; S3 never lets a
		// presigned URL live longer than 7 days, so neither does this.
		return nil, errorf(ErrPresignExpiry, "%s: Expires %s is more than 7 days (604800 seconds) ahead of server time %s", where,
			time.Unix(exp, 0).UTC().Format(time.RFC1123), now.UTC().Format(time.RFC1123))
	}
	if now.Unix() > exp {
		return nil, errorf(ErrExpired, "%s: expired at %s (server time %s)", where,
			time.Unix(exp, 0).UTC().Format(time.RFC1123), now.UTC().Format(time.RFC1123))
	}
	return finishV2(r, q, ak, sig, expires, true, creds, bucket)
}

// finishV2 checks a SigV2 signature. expires is the Expires value of a
// presigned URL ("" for header authentication).
func finishV2(r *http.Request, q query, ak, sig, expires string, presigned bool, creds Credentials, bucket string) (*Result, error) {
	if err := checkToken(r, q); err != nil {
		return nil, err
	}
	secret, ok := creds.SecretKey(ak)
	if !ok {
		return nil, &InvalidAccessKeyError{AccessKey: ak}
	}
	// A signature that is not even base64 of an HMAC-SHA1 is one that
	// does not match: S3 answers it so, for the header and the query.
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha1.Size {
		return nil, &SignatureError{AccessKey: ak, msg: "SigV2 signature is not base64 of an HMAC-SHA1"}
	}
	// Candidate "Date line + CanonicalizedAmzHeaders" forms. With
	// x-amz-date, the documented rule leaves the Date line empty and signs
	// x-amz-date among the amz headers, while the documentation's own
	// DELETE example (and clients that followed it) puts the x-amz-date
	// value on the Date line instead. xbcloud writes amz headers its own
	// way (see amzHeadersV2).
	type dated struct{ date, skip string }
	var forms []dated
	switch {
	case presigned:
		forms = []dated{{expires, ""}}
	case r.Header.Get("X-Amz-Date") != "":
		forms = []dated{{"", ""}, {r.Header.Get("X-Amz-Date"), "x-amz-date"}}
	default:
		forms = []dated{{r.Header.Get("Date"), ""}}
	}
	head := r.Method + "\n" + r.Header.Get("Content-Md5") + "\n" + r.Header.Get("Content-Type") + "\n"
	var prefixes []string
	for _, f := range forms {
		for _, amz := range amzHeadersV2Forms(r, f.skip) {
			prefixes = appendNew(prefixes, head+f.date+"\n"+amz)
		}
	}
	var resources []string
	paths := []string{requestPath(r)}
	if dp, err := url.PathUnescape(paths[0]); err == nil && dp != paths[0] && !strings.Contains(dp, "?") {
		// Some clients sign the key unescaped; it names the same object.
		// Not when that reveals a '?': "/b/k%3FuploadId=X" unescaped is the
		// resource of a different request (abort upload X of key k).
		paths = append(paths, dp)
	}
	if p := paths[0]; bucket == "" && len(p) > 1 && !strings.Contains(p[1:], "/") {
		// A path-style bucket request, "/bucket": botocore signs it as
		// "/bucket/", which names the same bucket.
		paths = append(paths, p+"/")
	}
	for _, path := range paths {
		resources = appendNew(resources, resourceV2(path, q, bucket, subresourcesClassic))
		resources = appendNew(resources, resourceV2(path, q, bucket, subresourcesExtended))
	}

	mac := hmac.New(sha1.New, []byte(secret))
	var sum [sha1.Size]byte
	for _, p := range prefixes {
		for _, res := range resources {
			mac.Reset()
			mac.Write([]byte(p))
			mac.Write([]byte(res))
			if hmac.Equal(mac.Sum(sum[:0]), got) {
				return &Result{AccessKey: ak, Version: 2, Presigned: presigned}, nil
			}
		}
	}
	return nil, &SignatureError{AccessKey: ak, msg: fmt.Sprintf("SigV2 signature of access key %.128q does not match (string to sign %q)", ak, prefixes[0]+resources[0])}
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// amzHeadersV2 returns three forms of the CanonicalizedAmzHeaders (without
// the header skip): the documented one ("name:value\n", values as sent),
// the same with lower-cased values, and xbcloud's, which lower-cases the
// values and joins name and value with '=' instead of ':'.
func amzHeadersV2(r *http.Request, skip string) (exact, lower, xbcloud string) {
	var names []string
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") && lk != skip {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	names = slices.Compact(names)
	var b, l, x strings.Builder
	for _, n := range names {
		vals := r.Header.Values(n)
		b.WriteString(n + ":")
		l.WriteString(n + ":")
		x.WriteString(n + "=")
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
				l.WriteByte(',')
				x.WriteByte(',')
			}
			v = trimValue(v)
			b.WriteString(v)
			l.WriteString(strings.ToLower(v))
			x.WriteString(strings.ToLower(v))
		}
		b.WriteByte('\n')
		l.WriteByte('\n')
		x.WriteByte('\n')
	}
	return b.String(), l.String(), x.String()
}

// resourceV2 is the CanonicalizedResource: "/bucket" for a virtual-host
// request, the path, then the sub-resources in sorted order.
func resourceV2(path string, q query, bucket string, sub map[string]bool) string {
	var b strings.Builder
	if bucket != "" {
		b.WriteByte('/')
		b.WriteString(bucket)
	}
	b.WriteString(path)
	var ps []queryParam
	for _, p := range q {
		if sub[p.key] {
			ps = append(ps, p)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].key < ps[j].key })
	for i, p := range ps {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		if p.value != "" {
			b.WriteByte('=')
			b.WriteString(p.value)
		}
	}
	return b.String()
}

// The lower-cased forms exist for xbcloud, which signs x-amz values lower
// case but sends them as given. They are offered only when lower-casing
// changes no value whose case matters: otherwise a signature made over
// "x-amz-copy-source:/src/secret" would also authorize "/src/SECRET", a
// different object.
func amzHeadersV2Forms(r *http.Request, skip string) []string {
	e, l, x := amzHeadersV2(r, skip)
	if caseMattersV2(r, skip) {
		return []string{e}
	}
	return []string{e, l, x}
}

// caseInsensitiveAmz are the x-amz headers whose values envelopegw reads
// without regard to case, or ignores: lower-casing them cannot change what
// a request does.
var caseInsensitiveAmz = map[string]bool{
	"x-amz-storage-class":          true,
	"x-amz-acl":                    true,
	"x-amz-server-side-encryption": true,
	"x-amz-security-token":         true, // not used: there is no STS here
}

// caseMattersV2 reports whether lower-casing would change the value of an
// x-amz header outside caseInsensitiveAmz.
func caseMattersV2(r *http.Request, skip string) bool {
	for k, vals := range r.Header {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-") || lk == skip || caseInsensitiveAmz[lk] {
			continue
		}
		for _, v := range vals {
			if v != strings.ToLower(v) {
				return true
			}
		}
	}
	return false
}
