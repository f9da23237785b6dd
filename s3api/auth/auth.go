package auth

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// Credentials looks up the secret key of an access key.
type Credentials interface {
	SecretKey(accessKey string) (secret string, ok bool)
}

// Result describes an authenticated request.
type Result struct {
	AccessKey string
	Version   int // 2 or 4
	Presigned bool
	// Region is the region of a V4 credential scope ("" for V2). Any
	// well-formed region is accepted; the caller may restrict it.
	Region string
	// PayloadHash is, for V4, the x-amz-content-sha256 value: 64 lower-case
	// hex digits, or one of the Payload* constants. A presigned V4 request
	// without that header gets PayloadUnsigned. V2 leaves it "".
	PayloadHash string
	// Chunks verifies the chunk and trailer signatures of the two signed
	// streaming forms (PayloadStreaming, PayloadStreamingTrailer); nil
	// otherwise.
	Chunks *ChunkSigner
}

// x-amz-content-sha256 values other than a hex digest.
const (
	PayloadUnsigned                 = "UNSIGNED-PAYLOAD"
	PayloadStreaming                = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	PayloadStreamingTrailer         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	PayloadStreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// Errors. Every error Verify returns wraps exactly one of them; the message
// says what was wrong and where. s3api maps them to S3 error codes.
var (
	// ErrMissing: the request carries no authentication at all (anonymous).
	ErrMissing = errors.New("request is not signed")
	// ErrInvalidAccessKeyID: the access key is unknown to Credentials.
	ErrInvalidAccessKeyID = errors.New("unknown access key")
	// ErrSignatureDoesNotMatch: well-formed, but the signature is wrong.
	ErrSignatureDoesNotMatch = errors.New("signature does not match")
	// ErrRequestTimeTooSkewed: the request time is more than MaxSkew away
	// from the server's clock (or a presigned URL is dated more than MaxSkew in the future).
	ErrRequestTimeTooSkewed = errors.New("request time too skewed")
	// ErrExpired: a presigned URL has expired.
	ErrExpired = errors.New("request has expired")
	// ErrMalformed: a header or query parameter of the signature is
	// missing or malformed.
	ErrMalformed = errors.New("malformed authentication")
	// ErrUnsignedHeader: a SigV4 request carries an x-amz-* header its
	// signature does not cover (it could change what the request does).
	ErrUnsignedHeader = errors.New("unsigned x-amz header")
	// ErrUnsupported: a signing scheme this gateway does not implement
	// (SigV4A, ECDSA streaming payloads, ...).
	ErrUnsupported = errors.New("unsupported authentication")
	// ErrBadDate: the request carries no usable time (Date or x-amz-date
	// missing, empty, unparsable or before 1970). S3 answers it as a
	// denial, not as a malformed header.
	ErrBadDate = errors.New("no valid request date")
	// ErrPresignExpiry: a presigned URL asks for a validity S3 never
	// grants (X-Amz-Expires of 0, negative or over 7 days; a SigV2 Expires
	// more than 7 days ahead).
	ErrPresignExpiry = errors.New("presigned URL validity out of range")
	// ErrInvalidToken: the request carries an X-Amz-Security-Token. This
	// gateway issues no temporary credentials, so no token is valid.
	ErrInvalidToken = errors.New("security token not issued here")
	// ErrInvalidArgument: the Authorization header names a scheme S3 does
	// not know, or is a SigV2 header without "access-key:signature", or
	// x-amz-content-sha256 is neither a digest nor a payload mode.
	ErrInvalidArgument = errors.New("invalid Authorization header")
)

// MaxSkew is how far a request's own time may be from the server's clock.
const MaxSkew = 15 * time.Minute

// MaxPresignExpiry is the longest validity a V4 presigned URL may ask for.
const MaxPresignExpiry = 7 * 24 * time.Hour

// Verify authenticates r. It recognises a V4 Authorization header, a V4
// presigned query, a V2 "AWS AK:signature" header and a V2 presigned query
// (AWSAccessKeyId, Expires, Signature). It does not read the body: payload
// integrity (the hex digest in PayloadHash, or the chunk signatures through
// Chunks) is for the caller to check while it streams the body.
//
// Verify assumes a path-style request. Use VerifyWithBucket for
// virtual-host-style requests.
func Verify(r *http.Request, creds Credentials, now time.Time) (*Result, error) {
	return VerifyWithBucket(r, creds, now, "")
}

// VerifyWithBucket is Verify for a request whose bucket was taken from the
// Host header (virtual-host style, "bucket.example.com"); vhostBucket is that
// bucket, or "" for a path-style request. Only SigV2 needs it: its canonical
// resource is "/bucket" followed by the path, while SigV4 signs the path as
// sent and the Host header as is.
func VerifyWithBucket(r *http.Request, creds Credentials, now time.Time, vhostBucket string) (*Result, error) {
	return VerifyInRegion(r, creds, now, vhostBucket, "")
}

// VerifyInRegion is VerifyWithBucket for an endpoint that serves one
// region: a SigV4 credential scope (header, presigned URL, and so the
// chunk signatures derived from it) must name region, as S3 requires, or
// the request is refused with a *RegionError. An empty region accepts any.
func VerifyInRegion(r *http.Request, creds Credentials, now time.Time, vhostBucket, region string) (*Result, error) {
	authz := r.Header.Values("Authorization")
	q := parseQuery(r.URL.RawQuery)
	qv4 := q.has("X-Amz-Algorithm") || q.has("X-Amz-Signature") || q.has("X-Amz-Credential")
	qv2 := q.has("AWSAccessKeyId") || q.has("Signature")
	switch {
	case len(authz) > 1:
		return nil, malformed("more than one Authorization header")
	case len(authz) == 1 && (qv4 || qv2):
		return nil, malformed("both an Authorization header and a presigned query; only one authentication mechanism is allowed")
	case len(authz) == 1:
		h := authz[0]
		switch {
		case strings.HasPrefix(h, algV4+" "):
			return verifyV4Header(r, h, q, creds, now, region)
		case strings.HasPrefix(h, "AWS4-ECDSA-P256-SHA256"):
			return nil, unsupported("SigV4A (AWS4-ECDSA-P256-SHA256) is not supported; sign with SigV4 (AWS4-HMAC-SHA256)")
		case strings.HasPrefix(h, "AWS "):
			return verifyV2Header(r, h, q, creds, now, vhostBucket)
		case strings.TrimSpace(h) == "":
			// S3 treats an empty Authorization header as none at all.
			return nil, ErrMissing
		}
		if !strings.Contains(h, " ") {
			return nil, invalidArgument("Authorization", h, sentenceSpace)
		}
		scheme, _, _ := strings.Cut(h, " ")
		return nil, invalidArgument("Authorization", scheme, sentenceAuthType)
	case qv4 && qv2:
		return nil, malformed("query carries both SigV4 and SigV2 presign parameters")
	case qv4:
		return verifyV4Query(r, q, creds, now, region)
	case qv2:
		return verifyV2Query(r, q, creds, now, vhostBucket)
	}
	return nil, ErrMissing
}

// checkToken refuses a session token (header or presigned parameter): S3
// checks it before the signature, and no token can be valid here.
func checkToken(r *http.Request, q query) error {
	if len(r.Header.Values("X-Amz-Security-Token")) > 0 || q.has("X-Amz-Security-Token") {
		return errorf(ErrInvalidToken, "X-Amz-Security-Token given, but this endpoint issues no temporary credentials")
	}
	return nil
}
