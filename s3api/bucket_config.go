package s3api

// What the bucket-configuration calls (?cors, ?lifecycle, ?tagging,
// ?policy, ...) have in common: they need an optional interface of the
// Service and an existing bucket, and their PUT reads one small document
// whole before parsing it.

// bucketConfigService returns the Service as the optional interface S
// that keeps one kind of bucket configuration, once the bucket is known to
// exist. A Service without S answers NotImplemented with notImplemented as
// the message.
func bucketConfigService[S any](rq *request, notImplemented string) (S, error) {
	var none S
	s, ok := rq.h.svc.(S)
	if !ok {
		return none, ErrNotImplemented.WithMessage("%s", notImplemented)
	}
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return none, err
	}
	return s, nil
}

// readDocument reads a small request document (what names it in errors)
// of at most max bytes through the verifying body: tooLarge answers a
// declared length over max, readAll's MalformedXML a body found longer.
func (rq *request) readDocument(what string, max int64, tooLarge *Error) ([]byte, error) {
	b, err := rq.openBody(bodyOptions{maxSize: max, tooLarge: tooLarge})
	if err != nil {
		return nil, err
	}
	defer b.close()
	return b.readAll(max, what)
}
