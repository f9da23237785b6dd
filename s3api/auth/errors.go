package auth

import (
	"errors"
	"fmt"
)

// detailed is an error that wraps a sentinel and says more.
type detailed struct {
	kind error
	msg  string
}

func (e *detailed) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *detailed) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &detailed{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func malformed(format string, args ...any) error {
	return errorf(ErrMalformed, format, args...)
}

func unsupported(format string, args ...any) error {
	return errorf(ErrUnsupported, format, args...)
}

// Detail returns what an error of this package says beyond its sentinel
// (for "malformed authentication: X-Amz-Date is missing", "X-Amz-Date is
// missing"), or "" when there is nothing more. s3api puts it in the S3
// error message.
func Detail(err error) string {
	var re *RegionError
	if errors.As(err, &re) {
		return re.detail()
	}
	var se *SignatureError
	if errors.As(err, &se) {
		return se.msg
	}
	var ae *ArgumentError
	if errors.As(err, &ae) {
		return ae.msg
	}
	var d *detailed
	if errors.As(err, &d) {
		return d.msg
	}
	return ""
}
