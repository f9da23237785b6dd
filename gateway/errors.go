package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
)

// maxKeyLen is the S3 limit on key length in bytes.
const maxKeyLen = 1024

var (
	errStorageBusy = s3api.ErrServiceUnavailable.WithMessage("The storage is temporarily unable to take this request; please retry.")
	errStorageFull = s3api.ErrStorageFull
	errStorage     = s3api.ErrInternalError.WithMessage("The storage failed while handling this request; please retry.")
	errIntegrity   = s3api.ErrInternalError.WithMessage("The stored object failed integrity verification.")
	errNoRecipient = s3api.ErrAccessDenied.WithMessage("This gateway has no recipients configured and cannot store objects.")
	errNoStateKey  = s3api.ErrNotImplemented.WithMessage("Multipart uploads need a state key, and this gateway was started without one.")
)

// op names one request for logs: the operation, what it addressed, and
// the request's context, which carries the request ID into every line
// logged about it (see package logctx).
type op struct {
	name, bucket, key string
	ctx               context.Context
}

// fail turns err from a backend or envelope call into the S3 error a client
// should see, logging the full cause when it is not the client's doing.
// Messages never carry paths or key material.
func (s *Service) fail(o op, err error) error {
	if err == nil {
		return nil
	}
	var se *s3api.Error
	if errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(err, backend.ErrNoSuchBucket):
		return s3api.ErrNoSuchBucket
	case errors.Is(err, backend.ErrNoSuchKey):
		return s3api.ErrNoSuchKey
	case errors.Is(err, backend.ErrBucketExists):
		return s3api.ErrBucketAlreadyOwnedByYou
	case errors.Is(err, backend.ErrBucketNotEmpty):
		return s3api.ErrBucketNotEmpty
	case errors.Is(err, backend.ErrInvalidBucket):
		return s3api.ErrInvalidBucketName
	case errors.Is(err, backend.ErrInvalidKey):
		if len(o.key) > maxKeyLen {
			return s3api.ErrKeyTooLong
		}
		return s3api.ErrInvalidArgument.WithMessage("The object key is not valid: it must be 1 to 1024 bytes of UTF-8.")
	case errors.Is(err, backend.ErrNoSuchUpload):
		return s3api.ErrNoSuchUpload
	case errors.Is(err, backend.ErrInvalidPart):
		return s3api.ErrInvalidPart
	case errors.Is(err, backend.ErrInvalidUploadIDMarker):
		return s3api.ErrInvalidArgument.WithMessage("Invalid uploadId marker")
	case errors.Is(err, backend.ErrMetadataTooLarge):
		return s3api.ErrMetadataTooLarge
	case errors.Is(err, backend.ErrUnavailable):
		s.log.WarnContext(o.ctx, "storage temporarily unavailable", "op", o.name, "bucket", o.bucket, "err", err)
		return errStorageBusy
	case errors.Is(err, backend.ErrPrecondition):
		return s3api.ErrServiceUnavailable.WithMessage("The object changed while this request was running; please retry.")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// Usually the client is gone. The cause travels on (s3api logs it
		// and answers 499 when the request's context is done) instead of
		// becoming an anonymous InternalError.
		return fmt.Errorf("%s canceled: %w", o.name, err)
	case errors.Is(err, envelope.ErrAuth), errors.Is(err, envelope.ErrFormat), errors.Is(err, errForeignMeta):
		s.crypto.Decrypted(0, err)
		s.log.ErrorContext(o.ctx, "stored object failed verification", "op", o.name, "bucket", o.bucket, "key", o.key, "err", err)
		return errIntegrity
	case errors.Is(err, errStateOpen):
		s.log.ErrorContext(o.ctx, "multipart upload state does not open: do all gateways sharing this volume use the same state key?", "op", o.name, "bucket", o.bucket, "key", o.key)
		return s3api.ErrInternalError.WithMessage("This gateway cannot continue the upload: it was started by a gateway with a different state key.")
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// Not transient: answering 503 would make SDKs retry in vain.
		s.log.ErrorContext(o.ctx, "storage volume full: writes fail until space is freed; reads continue", "op", o.name, "bucket", o.bucket, "err", err)
		return errStorageFull
	case errors.Is(err, syscall.EAGAIN),
		errors.Is(err, syscall.EBUSY), errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EMFILE),
		errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.EINTR):
		s.log.WarnContext(o.ctx, "storage temporarily unavailable", "op", o.name, "bucket", o.bucket, "err", err)
		return errStorageBusy
	}
	s.log.ErrorContext(o.ctx, "storage error", "op", o.name, "bucket", o.bucket, "key", o.key, "err", err)
	return errStorage
}

// bodyError turns an error from reading a request body into the answer:
// s3api's own errors (BadDigest, SignatureDoesNotMatch, ...) pass through,
// a body that ended early is IncompleteBody.
func bodyError(err error) error {
	var se *s3api.Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return s3api.ErrIncompleteBody
	}
	return s3api.ErrIncompleteBody.WithMessage("The request body could not be read to its end.")
}

func discardLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}
