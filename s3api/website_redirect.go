package s3api

import (
	"net/http"
	"strings"
)

// x-amz-website-redirect-location is object metadata in S3: PutObject,
// CopyObject and CreateMultipartUpload store it, GetObject and HeadObject
// send it back. Only a bucket served as a static website acts on it; this
// gateway has no website endpoint, so it keeps and returns the value as
// the REST API does and never redirects. S3 accepts a value beginning
// with "/", "http://" or "https://", of at most 2 KB, and does not carry
// it over on copy: the copy gets the value given with the copy request,
// or none.

const (
	websiteRedirectHeader = "x-amz-website-redirect-location"
	maxWebsiteRedirect    = 2 << 10
)

// ErrInvalidRedirectLocation is S3's answer to a redirect location of the
// wrong form.
var ErrInvalidRedirectLocation = newErr("InvalidRedirectLocation", http.StatusBadRequest,
	"The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")

// parseWebsiteRedirect reads and checks x-amz-website-redirect-location;
// absent is "".
func parseWebsiteRedirect(h http.Header) (string, error) {
	v := h.Get(websiteRedirectHeader)
	if v == "" {
		return "", nil
	}
	if !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		return "", ErrInvalidRedirectLocation
	}
	if len(v) > maxWebsiteRedirect {
		return "", ErrInvalidRedirectLocation.WithDetail("The location is %d bytes, the maximum is %d.", len(v), maxWebsiteRedirect)
	}
	return v, nil
}
