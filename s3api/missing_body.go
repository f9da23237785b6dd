package s3api

import "net/http"

// ErrMissingRequestBody is S3's answer to a configuration PUT that sends
// no document at all (an SDK call whose configuration was left nil):
// S3 tells it apart from a document that does not parse (MalformedXML).
var ErrMissingRequestBody = newErr("MissingRequestBodyError", http.StatusBadRequest, "Request Body is empty")

// requiredDocument is readDocument for a request whose document S3
// requires: an empty body is MissingRequestBodyError. The bucket and
// object configuration PUTs (Object Lock, tagging, CORS, lifecycle,
// versioning, ownership controls) read their bodies with it.
func (rq *request) requiredDocument(what string, max int64, tooLarge *Error) ([]byte, error) {
	data, err := rq.readDocument(what, max, tooLarge)
	if err == nil && len(data) == 0 {
		return nil, ErrMissingRequestBody
	}
	return data, err
}
