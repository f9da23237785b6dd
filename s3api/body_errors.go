package s3api

import "net/http"

// S3 answers IncompleteBody with two sentences, and clients (and people
// searching for them) see which: a body whose aws-chunked framing breaks
// or that ends early "terminated unexpectedly", while one whose decoded
// length differs from what x-amz-decoded-content-length declared did "not
// provide the number of bytes". Both are S3's wire text, without a final
// period; what exactly went wrong goes into Detail.
var (
	errBodyTerminated = &Error{Code: "IncompleteBody", Status: http.StatusBadRequest,
		Message: "The request body terminated unexpectedly"}
	errBodyLengthMismatch = &Error{Code: "IncompleteBody", Status: http.StatusBadRequest,
		Message: "You did not provide the number of bytes specified by the Content-Length HTTP header"}
)

func init() {
	for _, e := range []*Error{errBodyTerminated, errBodyLengthMismatch} {
		otherWording[e.Code] = append(otherWording[e.Code], e.Message)
	}
}
