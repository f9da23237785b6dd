package s3api

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an S3 error: a code name from the S3 API reference, the HTTP
// status that goes with it, and a message for people.
type Error struct {
	Code    string
	Status  int
	Message string
	// Condition names the precondition that failed (PreconditionFailed
	// only), sent as S3 sends it in the error document.
	Condition string
	// Detail says what exactly was wrong (which part, which header, which
	// limit). It travels in its own element of the error document and in
	// the log, never inside Message: Message stays S3's own sentence for
	// the code, which SDKs and people search for (error_wording.go).
	Detail string
	// Fields are the further elements S3 puts in this error's document
	// (AWSAccessKeyId, HeadersNotSigned, Region, ...); see WithField.
	Fields []errorField
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is makes errors.Is(err, ErrNoSuchKey) true for any *Error with that code,
// whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// WithMessage returns a copy of e carrying a more specific message.
func (e *Error) WithMessage(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// WithDetail returns a copy of e, message unchanged, that says what
// exactly was wrong.
func (e *Error) WithDetail(format string, args ...any) *Error {
	c := *e
	c.Detail = fmt.Sprintf(format, args...)
	return &c
}

// AsError returns the *Error in err's chain, or InternalError.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternalError
}

func newErr(code string, status int, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg}
}

// The S3 errors envelopegw produces.
var (
	ErrAccessDenied                 = newErr("AccessDenied", http.StatusForbidden, "Access Denied")
	ErrBadDigest                    = newErr("BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum you specified did not match what we received.")
	ErrBucketAlreadyOwnedByYou      = newErr("BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it.")
	ErrBucketNotEmpty               = newErr("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty.")
	ErrEntityTooLarge               = newErr("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size.")
	ErrEntityTooSmall               = newErr("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed size")
	ErrIncompleteBody               = newErr("IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	ErrInternalError                = newErr("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	ErrInvalidAccessKeyID           = newErr("InvalidAccessKeyId", http.StatusForbidden, "The AWS Access Key Id you provided does not exist in our records.")
	ErrInvalidArgument              = newErr("InvalidArgument", http.StatusBadRequest, "Invalid argument.")
	ErrInvalidBucketName            = newErr("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid.")
	ErrInvalidDigest                = newErr("InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified was invalid.")
	ErrInvalidPart                  = newErr("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	ErrInvalidPartOrder             = newErr("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. Parts must be ordered by part number.")
	ErrInvalidRange                 = newErr("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable")
	ErrInvalidRequest               = newErr("InvalidRequest", http.StatusBadRequest, "Invalid request.")
	ErrKeyTooLong                   = newErr("KeyTooLongError", http.StatusBadRequest, "Your key is too long.")
	ErrMalformedXML                 = newErr("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	ErrMetadataTooLarge             = newErr("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size")
	ErrMethodNotAllowed             = newErr("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	ErrMissingContentLength         = newErr("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	ErrNoSuchBucket                 = newErr("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist.")
	ErrNoSuchKey                    = newErr("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
	ErrNoSuchUpload                 = newErr("NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	ErrNotImplemented               = newErr("NotImplemented", http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented.")
	ErrPreconditionFailed           = newErr("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	ErrRequestTimeout               = newErr("RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period.")
	ErrRequestTimeTooSkewed         = newErr("RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the current time is too large.")
	ErrServiceUnavailable           = newErr("ServiceUnavailable", http.StatusServiceUnavailable, "Please reduce your request rate.")
	ErrSignatureDoesNotMatch        = newErr("SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	ErrXAmzContentSHA256Mismatch    = newErr("XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	ErrInvalidChunkSizeError        = newErr("InvalidChunkSizeError", http.StatusBadRequest, "Only the last chunk is allowed to have a size less than 8192 bytes")
	ErrAuthorizationHeaderMalformed = newErr("AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header is malformed.")
	ErrExpiredToken                 = newErr("AccessDenied", http.StatusForbidden, "Request has expired")
	// ErrNoDecryptionKey answers reads on a gateway that holds only public
	// keys (ingest-only mode).
	ErrNoDecryptionKey = newErr("AccessDenied", http.StatusForbidden, "This gateway holds no private key able to decrypt this object: it is in ingest-only mode. Restore with a host that has a matching identity, or with 'envelopegw cat'.")
)

// StatusClientClosedRequest is the status logged (and sent, though no
// one reads it) when the client went away before its answer was ready:
// 499, as nginx and other S3 servers log it, so that it is not counted as
// a server error.
const StatusClientClosedRequest = 499

// Errors added for the HTTP layer.
var (
	ErrClientClosedRequest = newErr("RequestCanceled", StatusClientClosedRequest, "The client closed the connection before the request completed.")
	// ErrStorageFull answers writes when the volume holding the objects
	// has no space (or quota) left. 507 is not a status SDKs retry: a full
	// volume does not empty itself in a few seconds. Reads keep working.
	ErrStorageFull                  = newErr("XEnvelopegwStorageFull", http.StatusInsufficientStorage, "The storage volume of this gateway is full; the object was not stored. Free space or grow the volume, then retry.")
	ErrRequestHeaderSectionTooLarge = newErr("RequestHeaderSectionTooLarge", http.StatusBadRequest, "Your request header section exceeds the maximum allowed size.")
	ErrInvalidPartNumber            = newErr("InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable.")
	ErrMalformedTrailerError        = newErr("MalformedTrailerError", http.StatusBadRequest, "The request contained trailing data that was not well-formed or did not conform to our published schema.")
	ErrInvalidLocationConstraint    = newErr("InvalidLocationConstraint", http.StatusBadRequest, "The specified location-constraint is not valid")
	// ErrAuthorizationQueryParametersError is the presigned-URL form of
	// AuthorizationHeaderMalformed.
	ErrAuthorizationQueryParametersError = newErr("AuthorizationQueryParametersError", http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter.")
)

// preconditionFailed is PreconditionFailed for the named condition
// (a header, or the element of a DeleteObjects entry). The message is
// S3's own, verbatim as it is sent (hyphenated, without a period): SDK
// users search for it.
func preconditionFailed(condition string) *Error {
	c := *ErrPreconditionFailed
	c.Condition = condition
	return &c
}
