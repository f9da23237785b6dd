package auth

import (
	"errors"
	"fmt"
)

// S3's own sentences for a malformed SigV4 signature. SDKs surface them and
// people search for them, so the detail of a malformed header or presigned
// query is S3's sentence, word for word; s3api prefixes a header's with
// "The authorization header is malformed; " (AuthorizationHeaderMalformed),
// while a presigned query's sentence is the whole message
// (AuthorizationQueryParametersError).
const (
	sentenceThreeComponents = "the authorization header requires three components: Credential, SignedHeaders, and Signature."
	sentenceComponent       = "the authorization component %.100q is malformed."
	sentenceMissing         = "missing %s."
	sentenceCredential      = `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`
	sentenceTerminal        = `incorrect terminal %.40q. This endpoint uses "aws4_request".`
	sentenceService         = `incorrect service %.40q. This endpoint belongs to "s3".`
	sentenceScopeDate       = `incorrect date format %.40q. This date in the credential must be in the format "yyyyMMdd".`
	sentenceRegion          = "the region '%.40s' is wrong; expecting '%s'"
	credentialParamPrefix   = "Error parsing the X-Amz-Credential parameter; "
	sentenceQueryParams     = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	sentenceQueryAlgorithm  = `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`
	sentenceQueryDates      = `Invalid credential date %.20q. This date is not the same as X-Amz-Date: %.20q.`
	sentenceHeaderDates     = "Invalid credential date. Date is not the same as X-Amz-Date."
	sentenceQueryDate       = `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`
	sentenceSpace           = "Authorization header is invalid -- one and only one ' ' (space) required."
	sentenceAuthType        = "Unsupported Authorization Type"
	sentencePayloadHash     = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
)

// form says where a SigV4 signature came from: S3 words the same fault
// differently for the Authorization header and for a presigned query.
type form int

const (
	formHeader form = iota
	formQuery
)

// credential returns a malformed-credential error in S3's words for f.
func (f form) credential(format string, args ...any) error {
	if f == formQuery {
		return malformed(credentialParamPrefix+format, args...)
	}
	return malformed(format, args...)
}

// RegionError is a SigV4 credential scope naming a region other than the
// one this endpoint serves. It wraps ErrMalformed; S3 names the expected
// region in the error document's Region element.
type RegionError struct {
	Got, Want string
	query     bool
}

func (e *RegionError) Error() string {
	return ErrMalformed.Error() + ": " + e.detail()
}

func (e *RegionError) Unwrap() error { return ErrMalformed }

func (e *RegionError) detail() string {
	s := fmt.Sprintf(sentenceRegion, e.Got, e.Want)
	if e.query {
		return credentialParamPrefix + s
	}
	return s
}

// InvalidAccessKeyError is an unknown access key. It wraps
// ErrInvalidAccessKeyID; S3 echoes the key in the AWSAccessKeyId element.
type InvalidAccessKeyError struct{ AccessKey string }

func (e *InvalidAccessKeyError) Error() string {
	return fmt.Sprintf("%s: access key %.128q", ErrInvalidAccessKeyID, e.AccessKey)
}

func (e *InvalidAccessKeyError) Unwrap() error { return ErrInvalidAccessKeyID }

// UnsignedHeadersError lists the x-amz-* headers a request carries but its
// signature does not cover. It wraps ErrUnsignedHeader; S3 lists them in
// the HeadersNotSigned element.
type UnsignedHeadersError struct{ Headers []string }

func (e *UnsignedHeadersError) Error() string {
	return fmt.Sprintf("%s: %.200q", ErrUnsignedHeader, e.Headers)
}

func (e *UnsignedHeadersError) Unwrap() error { return ErrUnsignedHeader }

// SignatureError is a well-formed signature that does not match. It wraps
// ErrSignatureDoesNotMatch; S3 echoes the access key in AWSAccessKeyId.
type SignatureError struct {
	AccessKey string
	msg       string
}

func (e *SignatureError) Error() string { return ErrSignatureDoesNotMatch.Error() + ": " + e.msg }
func (e *SignatureError) Unwrap() error { return ErrSignatureDoesNotMatch }

// AccessKeyOf returns the access key an error of this package names (an
// unknown key, or the key of a signature that does not match), or "".
func AccessKeyOf(err error) string {
	var ik *InvalidAccessKeyError
	if errors.As(err, &ik) {
		return ik.AccessKey
	}
	var se *SignatureError
	if errors.As(err, &se) {
		return se.AccessKey
	}
	return ""
}

// ArgumentError is an invalid Authorization or x-amz-content-sha256
// header. It wraps ErrInvalidArgument; S3 names the header and its value in
// ArgumentName and ArgumentValue.
type ArgumentError struct {
	Name, Value string
	msg         string
}

func (e *ArgumentError) Error() string { return ErrInvalidArgument.Error() + ": " + e.msg }
func (e *ArgumentError) Unwrap() error { return ErrInvalidArgument }

func invalidArgument(name, value, msg string) error {
	return &ArgumentError{Name: name, Value: value, msg: msg}
}
