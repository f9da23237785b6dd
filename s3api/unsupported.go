package s3api

import (
	"net/http"
	"strings"
)

// rejectUnsupportedHeaders refuses request headers that ask for a promise
// this gateway cannot keep. Ignoring them would be worse than an error:
// a client asking for SSE-C believes only its key can read the object, a
// client asking for Object Lock believes the object cannot be deleted.
//
// Plain SSE-S3 (x-amz-server-side-encryption: AES256) is accepted: every
// object is encrypted at rest anyway, under envelope keys.
func rejectUnsupportedHeaders(h http.Header, lockHeaders bool) error {
	if h.Get("x-amz-server-side-encryption-customer-algorithm") != "" ||
		h.Get("x-amz-copy-source-server-side-encryption-customer-algorithm") != "" {
		return ErrNotImplemented.WithMessage("Server-side encryption with customer-provided keys (SSE-C) is not implemented by this gateway; objects are envelope-encrypted to the gateway's recipients.")
	}
	switch v := h.Get("x-amz-server-side-encryption"); {
	case v == "", strings.EqualFold(v, "AES256"):
	default:
		return ErrNotImplemented.WithMessage("Server-side encryption %q is not implemented by this gateway; objects are envelope-encrypted to the gateway's recipients.", truncate(v, 32))
	}
	for _, k := range []string{"x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold"} {
		if h.Get(k) != "" && !lockHeaders {
			return ErrNotImplemented.WithMessage("Object Lock (%s) is not implemented by this gateway.", k)
		}
	}
	// An append (directory buckets' PutObject with a write offset) taken
	// as a plain PUT would replace the object the client meant to extend.
	if h.Get("x-amz-write-offset-bytes") != "" {
		return ErrNotImplemented.WithMessage("Appends (x-amz-write-offset-bytes) are not implemented by this gateway; a PUT would replace the object.")
	}
	return nil
}
