package s3api

// S3 answers most error codes with one fixed sentence, which SDKs surface
// and people paste into search engines. For those codes the sentence is
// S3's own, kept in one place (the Err* values of errors.go); whatever a
// handler knows beyond it (which part, which header, which limit) goes
// into Error.Detail, sent as the <Detail> element and logged. Codes whose
// message S3 itself varies by case (InvalidArgument, InvalidRequest,
// AccessDenied, NotImplemented, BadDigest with its per-algorithm texts)
// are not listed: their handlers use S3's sentence for that case.

// fixedWording maps each code with a single S3 message to that message.
var fixedWording = map[string]string{}

// otherWording lists, for a code in fixedWording, the other sentences S3
// also sends for it in particular cases; they are kept as they are.
var otherWording = map[string][]string{}

func init() {
	for _, e := range []*Error{
		ErrBucketAlreadyOwnedByYou, ErrBucketNotEmpty, ErrEntityTooLarge,
		ErrEntityTooSmall, ErrIncompleteBody, ErrInternalError,
		ErrInvalidAccessKeyID, ErrInvalidBucketName, ErrInvalidDigest,
		ErrInvalidPart, ErrInvalidPartOrder, ErrInvalidRange, ErrKeyTooLong,
		ErrMalformedXML, ErrMetadataTooLarge, ErrMethodNotAllowed,
		ErrMissingContentLength, ErrNoSuchBucket, ErrNoSuchKey,
		ErrNoSuchUpload, ErrRequestTimeout, ErrRequestTimeTooSkewed,
		ErrSignatureDoesNotMatch, ErrXAmzContentSHA256Mismatch,
		ErrInvalidChunkSizeError, ErrRequestHeaderSectionTooLarge,
		ErrMalformedTrailerError,
	} {
		fixedWording[e.Code] = e.Message
	}
}

// worded returns e as S3 words it: for a code with a fixed message, that
// message, any other text moving to Detail so that nothing is lost.
func worded(e *Error) *Error {
	base, ok := fixedWording[e.Code]
	if !ok || e.Message == base {
		return e
	}
	for _, m := range otherWording[e.Code] {
		if e.Message == m {
			return e
		}
	}
	c := *e
	c.Message = base
	switch {
	case c.Detail == "":
		c.Detail = e.Message
	case e.Message != "":
		c.Detail = e.Message + " " + c.Detail
	}
	return &c
}
