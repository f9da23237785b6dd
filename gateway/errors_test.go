package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
)

// TestFailMapping checks the backend-to-S3 error mapping, including that
// storage trouble becomes a retryable 5xx whose message carries no path,
// while the log keeps the cause.
func TestFailMapping(t *testing.T) {
	var logs bytes.Buffer
	s := &Service{log: slog.New(slog.NewTextHandler(&logs, nil)), crypto: nopCrypto{}}
	path := "/srv/volume/buckets/b/data/ab/abcdef"
	wrap := func(err error) error { return fmt.Errorf("posix: write %s: %w", path, err) }
	for _, c := range []struct {
		err    error
		key    string
		code   string
		status int
	}{
		{wrap(backend.ErrNoSuchBucket), "", "NoSuchBucket", 404},
		{wrap(backend.ErrNoSuchKey), "", "NoSuchKey", 404},
		{wrap(backend.ErrBucketExists), "", "BucketAlreadyOwnedByYou", 409},
		{wrap(backend.ErrBucketNotEmpty), "", "BucketNotEmpty", 409},
		{wrap(backend.ErrInvalidBucket), "", "InvalidBucketName", 400},
		{wrap(backend.ErrInvalidKey), "ok", "InvalidArgument", 400},
		{wrap(backend.ErrInvalidKey), strings.Repeat("k", 1025), "KeyTooLongError", 400},
		{wrap(backend.ErrNoSuchUpload), "", "NoSuchUpload", 404},
		{wrap(backend.ErrInvalidPart), "", "InvalidPart", 400},
		{wrap(backend.ErrMetadataTooLarge), "", "MetadataTooLarge", 400},
		{wrap(backend.ErrPrecondition), "", "ServiceUnavailable", 503},
		{wrap(&fs.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}), "", "XEnvelopegwStorageFull", 507},
		{wrap(&fs.PathError{Op: "write", Path: path, Err: syscall.EDQUOT}), "", "XEnvelopegwStorageFull", 507},
		{wrap(&fs.PathError{Op: "open", Path: path, Err: syscall.EMFILE}), "", "ServiceUnavailable", 503},
		{wrap(&fs.PathError{Op: "read", Path: path, Err: syscall.EIO}), "", "InternalError", 500},
		{wrap(envelope.ErrAuth), "", "InternalError", 500},
		{wrap(errStateOpen), "", "InternalError", 500},
		{s3api.ErrAccessDenied, "", "AccessDenied", 403},
	} {
		err := s.fail(op{"Test", "b", c.key, context.Background()}, c.err)
		wantCode(t, err, c.code, c.status)
		if strings.Contains(err.Error(), "/srv") {
			t.Errorf("%v: client message leaks a path: %v", c.err, err)
		}
	}
	if !strings.Contains(logs.String(), "input/output error") || !strings.Contains(logs.String(), "no space left") {
		t.Errorf("causes not logged:\n%s", logs.String())
	}
	// A canceled request keeps its cause: s3api decides between 499 (the
	// client left) and 500 on the request's own context.
	if err := s.fail(op{"Test", "b", "k", context.Background()}, wrap(context.Canceled)); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled request lost its cause: %v", err)
	}
	if s.fail(op{}, nil) != nil {
		t.Error("fail(nil) is not nil")
	}
}
