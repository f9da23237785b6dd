package s3api

import (
	"errors"
	"net/url"

	"envelopegw/s3api/auth"
)

// Authentication refusals as S3 answers them. The codes and statuses
// follow S3 rather than the HTTP meaning of the fault: a request without a
// usable date is denied (403), not malformed; a presigned URL asking for a
// validity S3 never grants is refused with 403 too.
var (
	errBadDate       = newErr("AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header")
	errPresignExpiry = newErr("AuthorizationQueryParametersError", 403, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
)

// authError maps an auth package error to its S3 error, in AWS's words
// where AWS has them (SDKs and people search for those), with the detail
// that says what was wrong appended for malformed requests.
func authError(err error, q url.Values) error {
	detail := auth.Detail(err)
	switch {
	case errors.Is(err, auth.ErrMissing):
		return ErrAccessDenied.WithDetail("Anonymous access is not allowed: sign the request.")
	case errors.Is(err, auth.ErrInvalidAccessKeyID):
		return ErrInvalidAccessKeyID
	case errors.Is(err, auth.ErrSignatureDoesNotMatch):
		return ErrSignatureDoesNotMatch
	case errors.Is(err, auth.ErrRequestTimeTooSkewed):
		return ErrRequestTimeTooSkewed
	case errors.Is(err, auth.ErrExpired):
		return ErrExpiredToken
	case errors.Is(err, auth.ErrBadDate):
		return errBadDate
	case errors.Is(err, auth.ErrPresignExpiry):
		if detail != "" {
			return errPresignExpiry.WithMessage("%s", detail)
		}
		return errPresignExpiry
	case errors.Is(err, auth.ErrInvalidArgument):
		return ErrInvalidArgument.WithMessage("%s", detail)
	case errors.Is(err, auth.ErrUnsignedHeader):
		return ErrAccessDenied.WithMessage("There were headers present in the request which were not signed").WithDetail("%s", detail)
	case errors.Is(err, auth.ErrUnsupported):
		return ErrNotImplemented.WithMessage("%s", detail)
	case errors.Is(err, auth.ErrMalformed):
		if q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Signature") {
			return ErrAuthorizationQueryParametersError.WithMessage("%s", detail)
		}
		return ErrAuthorizationHeaderMalformed.WithMessage("The authorization header is malformed; %s", detail)
	}
	return ErrAccessDenied
}
