package s3api

import (
	"net/http"
	"strconv"
)

// mpObjectSize reads x-amz-mp-object-size of CompleteMultipartUpload:
// the object size the client expects, nil when the header is absent.
func mpObjectSize(h http.Header) (*int64, error) {
	v, ok := h["X-Amz-Mp-Object-Size"]
	if !ok {
		return nil, nil
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || n < 0 || len(v) > 1 {
		return nil, ErrInvalidArgument.WithMessage("Invalid value for x-amz-mp-object-size header.").WithDetail("%q is not a byte count.", truncate(v[0], 64))
	}
	return &n, nil
}
