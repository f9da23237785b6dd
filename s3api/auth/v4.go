package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	algV4        = "AWS4-HMAC-SHA256"
	iso8601Basic = "20060102T150405Z"
	scopeDate    = "20060102"
	terminator   = "aws4_request"
	service      = "s3"
)

// v4Request is what the header and the query forms have in common once
// parsed.
type v4Request struct {
	accessKey     string
	date          string // yyyymmdd of the scope
	region        string
	amzDate       string // the request time, ISO 8601 basic
	signedHeaders []string
	signature     []byte
}

// parseCredential splits "AK/yyyymmdd/region/s3/aws4_request".
func (v *v4Request) parseCredential(cred, where string) error {
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return malformed("%s: credential %.200q is not <access-key>/<date>/<region>/s3/aws4_request", where, cred)
	}
	n := len(parts)
	v.accessKey = strings.Join(parts[:n-4], "/")
	v.date, v.region = parts[n-4], parts[n-3]
	switch {
	case v.accessKey == "":
		return malformed("%s: credential has an empty access key", where)
	case len(v.date) != 8 || !allDigits(v.date):
		return malformed("%s: credential scope date %.20q is not yyyymmdd", where, v.date)
	case v.region == "":
		return malformed("%s: credential scope has an empty region", where)
	case parts[n-2] != service:
		return malformed("%s: credential scope service is %.40q, want %q", where, parts[n-2], service)
	case parts[n-1] != terminator:
		return malformed("%s: credential scope ends in %.40q, want %q", where, parts[n-1], terminator)
	}
	return nil
}

func (v *v4Request) parseSignedHeaders(s, where string) error {
	if s == "" {
		return malformed("%s: SignedHeaders is empty", where)
	}
	v.signedHeaders = strings.Split(s, ";")
	host := false
	for _, h := range v.signedHeaders {
		if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t:") {
			return malformed("%s: SignedHeaders %.200q must be lower-case names separated by ';'", where, s)
		}
		host = host || h == "host"
	}
	if !host {
		return malformed("%s: SignedHeaders must include host", where)
	}
	return nil
}

func (v *v4Request) parseSignature(s, where string) error {
	if len(s) != 64 {
		return malformed("%s: signature must be 64 hex digits", where)
	}
	sig, err := hex.DecodeString(s)
	if err != nil {
		return malformed("%s: signature is not hex", where)
	}
	v.signature = sig
	return nil
}

func (v *v4Request) scope() string {
	return v.date + "/" + v.region + "/" + service + "/" + terminator
}

// parseAuthorizationV4 parses
// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func parseAuthorizationV4(h string) (*v4Request, error) {
	const where = "Authorization header"
	rest := strings.TrimPrefix(h, algV4+" ")
	var cred, signed, sig string
	var seen [3]bool
	for _, field := range strings.Split(rest, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		k, val, ok := strings.Cut(field, "=")
		if !ok {
			return nil, malformed("%s: field %.100q is not key=value", where, field)
		}
		var dst *string
		var i int
		switch k {
		case "Credential":
			dst, i = &cred, 0
		case "SignedHeaders":
			dst, i = &signed, 1
		case "Signature":
			dst, i = &sig, 2
		default:
			return nil, malformed("%s: unknown field %.40q", where, k)
		}
		if seen[i] {
			return nil, malformed("%s: field %s appears twice", where, k)
		}
		seen[i], *dst = true, val
	}
	for i, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if !seen[i] {
			return nil, malformed("%s: missing %s", where, name)
		}
	}
	v := new(v4Request)
	if err := v.parseCredential(cred, where); err != nil {
		return nil, err
	}
	if err := v.parseSignedHeaders(signed, where); err != nil {
		return nil, err
	}
	if err := v.parseSignature(sig, where); err != nil {
		return nil, err
	}
	return v, nil
}

// checkPayloadHash validates an x-amz-content-sha256 value and returns its
// normalised form.
func checkPayloadHash(s string) (string, error) {
	switch s {
	case PayloadUnsigned, PayloadStreaming, PayloadStreamingTrailer, PayloadStreamingUnsignedTrailer:
		return s, nil
	case "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER":
		return "", unsupported("x-amz-content-sha256 %s (SigV4A streaming) is not supported", s)
	}
	if len(s) == 64 {
		if _, err := hex.DecodeString(s); err == nil {
			return strings.ToLower(s), nil
		}
	}
	return "", malformed("x-amz-content-sha256 %.80q is neither a hex SHA-256 nor a known payload mode", s)
}

func verifyV4Header(r *http.Request, h string, q query, creds Credentials, now time.Time) (*Result, error) {
	v, err := parseAuthorizationV4(h)
	if err != nil {
		return nil, err
	}
	// The request time: X-Amz-Date (even empty), else Date. S3 answers
	// a missing or unusable one with 403, like a failed signature.
	var t time.Time
	if d := r.Header.Values("X-Amz-Date"); len(d) > 0 {
		if t, err = time.Parse(iso8601Basic, d[0]); err != nil {
			return nil, errorf(ErrBadDate, "X-Amz-Date %.40q is not yyyymmddThhmmssZ", d[0])
		}
	} else if d := r.Header.Get("Date"); d != "" {
		var ok bool
		if t, ok = parseHTTPDate(d); !ok {
			return nil, errorf(ErrBadDate, "Date %.60q is not an HTTP date", d)
		}
	} else {
		return nil, errorf(ErrBadDate, "SigV4 request has neither X-Amz-Date nor Date")
	}
	v.amzDate = t.UTC().Format(iso8601Basic)
	if v.date != v.amzDate[:8] {
		return nil, malformed("credential scope date %s does not match the request date %s", v.date, v.amzDate)
	}
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return nil, errorf(ErrRequestTimeTooSkewed, "request time %s is %s away from server time %s (max %s)",
			v.amzDate, d.Abs().Round(time.Second), now.UTC().Format(iso8601Basic), MaxSkew)
	}
	ph := r.Header.Values("X-Amz-Content-Sha256")
	if len(ph) != 1 {
		return nil, malformed("SigV4 header authentication needs exactly one x-amz-content-sha256 header")
	}
	payload, err := checkPayloadHash(ph[0])
	if err != nil {
		return nil, err
	}
	return finishV4(r, v, q, "", ph[0], payload, false, creds)
}

func verifyV4Query(r *http.Request, q query, creds Credentials, now time.Time) (*Result, error) {
	const where = "presigned URL"
	get := func(name string) (string, error) {
		v, n := q.get(name)
		switch {
		case n == 0:
			return "", malformed("%s: missing query parameter %s", where, name)
		case n > 1:
			return "", malformed("%s: query parameter %s appears %d times", where, name, n)
		}
		return v, nil
	}
	var vals [6]string
	for i, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		s, err := get(name)
		if err != nil {
			return nil, err
		}
		vals[i] = s
	}
	alg, cred, date, expires, signed, sig := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
	switch alg {
	case algV4:
	case "AWS4-ECDSA-P256-SHA256":
		return nil, unsupported("%s: SigV4A (AWS4-ECDSA-P256-SHA256) is not supported", where)
	default:
		return nil, malformed("%s: X-Amz-Algorithm %.40q is not %s", where, alg, algV4)
	}
	v := new(v4Request)
	if err := v.parseCredential(cred, where); err != nil {
		return nil, err
	}
	if err := v.parseSignedHeaders(signed, where); err != nil {
		return nil, err
	}
	if err := v.parseSignature(sig, where); err != nil {
		return nil, err
	}
	t, err := time.Parse(iso8601Basic, date)
	if err != nil {
		return nil, malformed("%s: X-Amz-Date %.40q is not yyyymmddThhmmssZ", where, date)
	}
	v.amzDate = date
	if v.date != date[:8] {
		return nil, malformed("%s: credential scope date %s does not match X-Amz-Date %s", where, v.date, date)
	}
	secs, err := strconv.ParseInt(expires, 10, 64)
	switch {
	case err != nil:
		return nil, malformed("X-Amz-Expires should be a number")
	case secs < 0:
		return nil, errorf(ErrPresignExpiry, "X-Amz-Expires must be non-negative")
	case secs == 0:
		return nil, errorf(ErrPresignExpiry, "X-Amz-Expires must be at least 1 second")
	case secs > int64(MaxPresignExpiry/time.Second):
		return nil, errorf(ErrPresignExpiry, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than %d seconds", int64(MaxPresignExpiry/time.Second))
	}
	if t.Sub(now) > MaxSkew {
		return nil, errorf(ErrRequestTimeTooSkewed, "%s: X-Amz-Date %s is in the future (server time %s)", where, date, now.UTC().Format(iso8601Basic))
	}
	if end := t.Add(time.Duration(secs) * time.Second); now.After(end) {
		return nil, errorf(ErrExpired, "%s: expired at %s (server time %s)", where, end.UTC().Format(iso8601Basic), now.UTC().Format(iso8601Basic))
	}
	// The payload is unsigned unless the client put a hash in the header.
	canonicalPayload, payload := PayloadUnsigned, PayloadUnsigned
	if ph := r.Header.Values("X-Amz-Content-Sha256"); len(ph) > 0 {
		if len(ph) > 1 {
			return nil, malformed("%s: more than one x-amz-content-sha256 header", where)
		}
		if payload, err = checkPayloadHash(ph[0]); err != nil {
			return nil, err
		}
		canonicalPayload = ph[0]
	}
	return finishV4(r, v, q, "X-Amz-Signature", canonicalPayload, payload, true, creds)
}

// finishV4 builds the canonical request and checks the signature.
func finishV4(r *http.Request, v *v4Request, q query, skipParam, canonicalPayload, payload string, presigned bool, creds Credentials) (*Result, error) {
	secret, ok := creds.SecretKey(v.accessKey)
	if !ok {
		return nil, errorf(ErrInvalidAccessKeyID, "access key %.128q", v.accessKey)
	}
	if h := unsignedAmzHeader(r, v.signedHeaders); h != "" {
		return nil, errorf(ErrUnsignedHeader, "header %.100q is present but not among the signed headers", h)
	}
	creq := canonicalRequestV4(r, v, q, skipParam, canonicalPayload)
	key := signingKey(secret, v.date, v.region)
	sum := sha256.Sum256([]byte(creq))
	sts := algV4 + "\n" + v.amzDate + "\n" + v.scope() + "\n" + hex.EncodeToString(sum[:])
	want := hmacSHA256(key, []byte(sts))
	if !hmac.Equal(want, v.signature) {
		return nil, errorf(ErrSignatureDoesNotMatch, "SigV4 signature of access key %.128q does not match (string to sign %q)", v.accessKey, sts)
	}
	res := &Result{
		AccessKey:   v.accessKey,
		Version:     4,
		Presigned:   presigned,
		Region:      v.region,
		PayloadHash: payload,
	}
	if payload == PayloadStreaming || payload == PayloadStreamingTrailer {
		res.Chunks = newChunkSigner(key, v.amzDate, v.scope(), want)
	}
	return res, nil
}

// canonicalRequestV4 is Method \n URI \n Query \n Headers \n SignedHeaders
// \n PayloadHash, with the URI exactly as sent (S3 does not normalise it).
func canonicalRequestV4(r *http.Request, v *v4Request, q query, skipParam, payload string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(requestPath(r))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(q, skipParam))
	b.WriteByte('\n')
	for _, name := range v.signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		for i, val := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimValue(val))
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(v.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

// signingKey derives HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region),
// "s3"), "aws4_request").
func signingKey(secret, date, region string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte(terminator))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// unsignedAmzHeader returns the first x-amz-* header of r that the
// signature does not cover, or "". Such headers change what a request does
// (x-amz-copy-source turns a PUT into a copy, x-amz-meta-* is stored), so
// a signature, header or presigned, authorizes them only when it signs
// them, as S3 requires.
func unsignedAmzHeader(r *http.Request, signed []string) string {
	for name := range r.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") && !slices.Contains(signed, l) {
			return l
		}
	}
	return ""
}
