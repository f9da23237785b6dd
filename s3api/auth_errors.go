package s3api

import (
	"errors"
	"net/url"
	"strings"

	"envelopegw/s3api/auth"
)

// Authentication refusals as S3 answers them. The codes and statuses
// follow S3 rather than the HTTP meaning of the fault: a request without a
// usable date is denied (403), not malformed; a presigned URL asking for a
// validity S3 never grants is refused with 403 too.
var (
	errBadDate       = newErr("AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header")
	errInvalidToken  = newErr("InvalidToken", 400, "The provided token is malformed or otherwise invalid.")
	errPresignExpiry = newErr("AuthorizationQueryParametersError", 403, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
)

// authError maps an auth package error to its S3 error, in AWS's words
// where AWS has them (SDKs and people search for those), with the elements
// AWS adds (AWSAccessKeyId, HeadersNotSigned, Region).
func authError(err error, q url.Values) error {
	detail := auth.Detail(err)
	var (
		re *auth.RegionError
		ue *auth.UnsignedHeadersError
		ae *auth.ArgumentError
	)
	switch {
	case errors.Is(err, auth.ErrMissing):
		return ErrAccessDenied.WithDetail("Anonymous access is not allowed: sign the request.")
	case errors.Is(err, auth.ErrInvalidAccessKeyID):
		return ErrInvalidAccessKeyID.WithField("AWSAccessKeyId", auth.AccessKeyOf(err))
	case errors.Is(err, auth.ErrSignatureDoesNotMatch):
		return ErrSignatureDoesNotMatch.WithField("AWSAccessKeyId", auth.AccessKeyOf(err))
	case errors.Is(err, auth.ErrRequestTimeTooSkewed):
		return ErrRequestTimeTooSkewed
	case errors.Is(err, auth.ErrInvalidToken):
		return errInvalidToken.WithDetail("%s", detail)
	case errors.Is(err, auth.ErrExpired):
		return ErrExpiredToken
	case errors.Is(err, auth.ErrBadDate):
		return errBadDate.WithDetail("%s", detail)
	case errors.Is(err, auth.ErrPresignExpiry):
		if detail != "" {
			return errPresignExpiry.WithMessage("%s", detail)
		}
		return errPresignExpiry
	case errors.As(err, &ae):
		return ErrInvalidArgument.WithMessage("%s", detail).
			WithField("ArgumentName", ae.Name).WithField("ArgumentValue", truncate(ae.Value, 256))
	case errors.Is(err, auth.ErrInvalidArgument):
		return ErrInvalidArgument.WithMessage("%s", detail)
	case errors.As(err, &ue):
		return ErrAccessDenied.WithMessage("There were headers present in the request which were not signed").
			WithField("HeadersNotSigned", strings.Join(ue.Headers, ", "))
	case errors.Is(err, auth.ErrUnsupported):
		return ErrNotImplemented.WithMessage("%s", detail)
	case errors.Is(err, auth.ErrMalformed):
		var e *Error
		if q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Signature") {
			e = ErrAuthorizationQueryParametersError.WithMessage("%s", detail)
		} else {
			e = ErrAuthorizationHeaderMalformed.WithMessage("The authorization header is malformed; %s", detail)
		}
		if errors.As(err, &re) {
			e = e.WithField("Region", re.Want)
		}
		return e
	}
	return ErrAccessDenied
}
