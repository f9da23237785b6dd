package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// parseCredential splits "AK/yyyymmdd/region/s3/aws4_request", checking
// the parts from the end as S3 does (terminal, service, region, date), and
// the region against want unless want is "".
func (v *v4Request) parseCredential(cred string, f form, want string) error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" {
		return f.credential(sentenceCredential)
	}
	v.accessKey, v.date, v.region = parts[0], parts[1], parts[2]
	switch {
	case parts[4] != terminator:
		return f.credential(sentenceTerminal, parts[4])
	case parts[3] != service:
		return f.credential(sentenceService, parts[3])
	case v.region == "":
		return f.credential(sentenceCredential)
	case want != "" && v.region != want:
		return &RegionError{Got: v.region, Want: want, query: f == formQuery}
	case len(v.date) != 8 || !allDigits(v.date):
		return f.credential(sentenceScopeDate, v.date)
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
// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...":
// exactly three key=value components, worded as S3 words each fault.
func parseAuthorizationV4(h, region string) (*v4Request, error) {
	const where = "Authorization header"
	rest := strings.TrimPrefix(h, algV4+" ")
	var fields []string
	for _, field := range strings.Split(rest, ",") {
		if field = strings.TrimSpace(field); field != "" {
			fields = append(fields, field)
		}
	}
	if len(fields) != 3 {
		return nil, malformed(sentenceThreeComponents)
	}
	vals := map[string]string{}
	for _, field := range fields {
		k, val, ok := strings.Cut(field, "=")
		if !ok {
			return nil, malformed(sentenceComponent, field)
		}
		vals[k] = val
	}
	for _, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if _, ok := vals[name]; !ok {
			return nil, malformed(sentenceMissing, name)
		}
	}
	v := new(v4Request)
	if err := v.parseCredential(vals["Credential"], formHeader, region); err != nil {
		return nil, err
	}
	if err := v.parseSignedHeaders(vals["SignedHeaders"], where); err != nil {
		return nil, err
	}
	if err := v.parseSignature(vals["Signature"], where); err != nil {
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
	return "", invalidArgument("x-amz-content-sha256", s, sentencePayloadHash)
}

func verifyV4Header(r *http.Request, h string, q query, creds Credentials, now time.Time, region string) (*Result, error) {
	v, err := parseAuthorizationV4(h, region)
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
		return nil, malformed(sentenceHeaderDates)
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

func verifyV4Query(r *http.Request, q query, creds Credentials, now time.Time, region string) (*Result, error) {
	const where = "presigned URL"
	get := func(name string) (string, error) {
		v, n := q.get(name)
		switch {
		case n == 0:
			return "", malformed(sentenceQueryParams)
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
		// SigV4A is S3's too, but not this gateway's: refused as a
		// parameter S3 would refuse, naming the one algorithm served.
		return nil, malformed(sentenceQueryAlgorithm)
	default:
		return nil, malformed(`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"`)
	}
	v := new(v4Request)
	if err := v.parseCredential(cred, formQuery, region); err != nil {
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
		return nil, malformed(sentenceQueryDate)
	}
	v.amzDate = date
	if v.date != date[:8] {
		return nil, malformed(sentenceQueryDates, v.date, date[:8])
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
	if err := checkToken(r, q); err != nil {
		return nil, err
	}
	secret, ok := creds.SecretKey(v.accessKey)
	if !ok {
		return nil, &InvalidAccessKeyError{AccessKey: v.accessKey}
	}
	if hs := unsignedAmzHeaders(r, v.signedHeaders); len(hs) > 0 {
		return nil, &UnsignedHeadersError{Headers: hs}
	}
	creq := canonicalRequestV4(r, v, q, skipParam, canonicalPayload)
	key := signingKey(secret, v.date, v.region)
	sum := sha256.Sum256([]byte(creq))
	sts := algV4 + "\n" + v.amzDate + "\n" + v.scope() + "\n" + hex.EncodeToString(sum[:])
	want := hmacSHA256(key, []byte(sts))
	if !hmac.Equal(want, v.signature) {
		return nil, &SignatureError{AccessKey: v.accessKey, msg: fmt.Sprintf("SigV4 signature of access key %.128q does not match (string to sign %q)", v.accessKey, sts)}
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

// unsignedAmzHeaders returns, sorted, the x-amz-* headers of r that the
// signature does not cover. Such headers change what a request does
// (x-amz-copy-source turns a PUT into a copy, x-amz-meta-* is stored), so
// a signature, header or presigned, authorizes them only when it signs
// them, as S3 requires.
func unsignedAmzHeaders(r *http.Request, signed []string) []string {
	var out []string
	for name := range r.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") && !slices.Contains(signed, l) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}
