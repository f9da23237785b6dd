package s3api

import "envelopegw/s3api/auth"

// errUnsignedTrailerNotAllowed is S3's answer to
// "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER" on an
// operation that does not upload object data.
var errUnsignedTrailerNotAllowed = ErrInvalidRequest.WithMessage("The value of x-amz-content-sha256 header is invalid.")

// checkPayloadMode refuses an unsigned aws-chunked body with a trailer
// everywhere but PutObject and UploadPart, as S3 does. Such a body is
// covered only by its trailing checksum, which S3 defines for object
// data; the configuration documents of the other operations are signed
// or sent with a digest instead. Refusing it before the operation runs
// keeps a body no checksum protects from being read as XML or JSON.
func (rq *request) checkPayloadMode() error {
	if rq.op == OpPutObject || rq.op == OpUploadPart {
		return nil
	}
	payload := ""
	if rq.auth != nil {
		payload = rq.auth.PayloadHash
	}
	if payload == "" {
		payload = rq.r.Header.Get("x-amz-content-sha256")
	}
	if payload != auth.PayloadStreamingUnsignedTrailer {
		return nil
	}
	return errUnsignedTrailerNotAllowed.WithDetail("%s is taken by PutObject and UploadPart only, not by %s.", payload, rq.op)
}
