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
	switch {
	case err != nil || len(v) > 1:
		return nil, ErrInvalidRequest.WithMessage("Value for x-amz-mp-object-size header is invalid: '%s'", truncate(v[0], 64))
	case n < 0:
		return nil, ErrInvalidRequest.WithMessage("Value for x-amz-mp-object-size header is less than zero: '%d'", n)
	}
	return &n, nil
}
