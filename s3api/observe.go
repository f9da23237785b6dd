package s3api

import (
	"errors"
	"time"

	"envelopegw/s3api/auth"
)

// Observer watches requests for metrics. The handler calls it at three
// points of every request and nowhere else, so operations never count
// anything themselves:
//
//   - Begin when the request arrives;
//   - Routed once authentication passed and the operation is known (a
//     request refused before that never gets Routed);
//   - End when the response is done (also when the connection was aborted),
//     with everything the access log line has.
//
// Implementations must be safe for concurrent use and cheap: they run on
// every request's goroutine.
type Observer interface {
	Begin()
	Routed(op Operation)
	End(RequestInfo)
}

// RequestInfo describes a finished request.
type RequestInfo struct {
	// Operation is the S3 operation, OpAuth for a request refused by
	// authentication, or OpNone before routing.
	Operation Operation
	// Routed reports whether Observer.Routed was called for the request.
	Routed    bool
	Bucket    string
	Status    int
	ErrorCode string // the S3 error code answered, or ""
	BytesIn   int64  // request body bytes read (decoded payload)
	BytesOut  int64  // response body bytes written
	Duration  time.Duration
	// AuthFailure names why authentication refused the request
	// ("signature_mismatch", "unknown_access_key", ...), or "".
	AuthFailure string
	// Denied reports that the Authorizer refused an action the request
	// needed (the operation itself, a copy's source, a key of a
	// DeleteObjects).
	Denied bool
	// Limit names the limit that ended the request ("stall-timeout": the
	// client stopped sending its body or reading the answer), or "".
	Limit string
	// Aborted reports that the connection was cut after the headers (a
	// failing read) or the handler panicked.
	Aborted bool
}

// AuthFailureReasons lists every value RequestInfo.AuthFailure takes, so
// that metrics can create their series before the first failure (a
// counter born at 1 is invisible to rate() and increase()).
func AuthFailureReasons() []string {
	return []string{"anonymous", "unknown_access_key", "signature_mismatch", "time_skewed",
		"expired", "unsigned_header", "unsupported", "invalid_token", "malformed", "other"}
}

// authFailureReason names an authentication error for metrics: a small,
// fixed set of label values, AuthFailureReasons.
func authFailureReason(err error) string {
	switch {
	case errors.Is(err, auth.ErrMissing):
		return "anonymous"
	case errors.Is(err, auth.ErrInvalidAccessKeyID):
		return "unknown_access_key"
	case errors.Is(err, auth.ErrSignatureDoesNotMatch):
		return "signature_mismatch"
	case errors.Is(err, auth.ErrRequestTimeTooSkewed):
		return "time_skewed"
	case errors.Is(err, auth.ErrExpired):
		return "expired"
	case errors.Is(err, auth.ErrUnsignedHeader):
		return "unsigned_header"
	case errors.Is(err, auth.ErrUnsupported):
		return "unsupported"
	case errors.Is(err, auth.ErrInvalidToken):
		return "invalid_token"
	case errors.Is(err, auth.ErrMalformed):
		return "malformed"
	}
	return "other"
}

// nopObserver is the Observer of a handler configured without one.
type nopObserver struct{}

func (nopObserver) Begin()           {}
func (nopObserver) Routed(Operation) {}
func (nopObserver) End(RequestInfo)  {}
