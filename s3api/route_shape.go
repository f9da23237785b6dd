package s3api

import "net/http"

// S3's answers to requests whose method, path and query name no operation.
var (
	errPartNumberWithoutUploadID = ErrInvalidArgument.WithMessage("This operation does not accept partNumber without uploadId")
	errUploadsWithKey            = ErrInvalidRequest.WithMessage("Key is not expected for the GET method ?uploads subresource")
	errVersionsWithKey           = ErrInvalidRequest.WithMessage("There is no such thing as the ?versions sub-resource for a key")
	errCopySourceNotAllowed      = ErrInvalidArgument.WithMessage("You can only specify a copy source header for copy requests.")
)

// shapeError returns S3's answer to a request that no credentials could
// make valid: a method the resource does not take, a sub-resource that
// does not exist for a key, a copy source on a request that copies
// nothing. S3 answers these before it authenticates, and so does the
// gateway: the answer depends only on the request line and the presence
// of one header, never on what is stored, so an anonymous caller learns
// nothing from it. nil means the request has a shape some operation takes.
func (rq *request) shapeError() error {
	m := rq.r.Method
	copySrc := len(rq.r.Header.Values("X-Amz-Copy-Source")) > 0
	switch {
	case rq.bucket == "":
		if m == http.MethodPost || m == http.MethodPut || m == http.MethodDelete {
			return rq.methodNotAllowed()
		}
	case copySrc && (m == http.MethodGet || m == http.MethodHead || m == http.MethodDelete ||
		(m == http.MethodPost && rq.q.Has("uploadId"))):
		return errCopySourceNotAllowed.WithField("ArgumentName", "x-amz-copy-source").
			WithField("ArgumentValue", truncate(rq.r.Header.Get("X-Amz-Copy-Source"), 256))
	case rq.key == "":
		return nil
	case m == http.MethodGet && rq.q.Has("uploads"):
		return errUploadsWithKey
	case m == http.MethodGet && rq.q.Has("versions"):
		return errVersionsWithKey
	case m == http.MethodPut && rq.q.Has("partNumber") && !rq.q.Has("uploadId"):
		// S3 names the argument in both fields here, not the number sent.
		return errPartNumberWithoutUploadID.WithField("ArgumentName", "partNumber").
			WithField("ArgumentValue", "partNumber")
	case m == http.MethodPut && rq.q.Has("uploadId") && !rq.q.Has("partNumber"):
		return rq.methodNotAllowed()
	case m == http.MethodPost && !rq.q.Has("uploads") && !rq.q.Has("uploadId") && rq.subresource() == "":
		return rq.methodNotAllowed()
	}
	return nil
}

// methodNotAllowed is MethodNotAllowed with the elements S3 adds: the
// method, and the kind of resource it was sent to.
func (rq *request) methodNotAllowed() *Error {
	kind := "OBJECT"
	switch {
	case rq.bucket == "":
		kind = "SERVICE"
	case rq.key == "":
		kind = "BUCKET"
	case rq.q.Has("uploadId"):
		kind = "UPLOAD"
	}
	return ErrMethodNotAllowed.WithField("Method", rq.r.Method).WithField("ResourceType", kind)
}
