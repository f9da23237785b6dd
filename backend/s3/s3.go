package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend"
)

// Options configures a Backend.
type Options struct {
	Client *minio.Client // the upstream, already configured (endpoint, credentials, TLS)
	Bucket string        // the pre-created upstream bucket
	Prefix string        // optional name prefix inside it, at most maxPrefix bytes
	// PartSize is the size of the upstream parts a stream is cut into: the
	// memory one writer holds (default and minimum 5 MiB).
	PartSize uint64
	// Logger receives warnings about damaged records that listings skip;
	// nil means slog.Default().
	Logger *slog.Logger
}

const (
	maxPrefix   = 100
	minPartSize = 5 << 20
	maxMeta     = 1 << 20
	// deleteWait bounds how long a commit waits for a concurrent
	// DeleteBucket to decide; a "deleting" mark older than that belongs
	// to a gateway that died and counts as not deleting.
	deleteWait = 30 * time.Second
)

// Backend stores buckets and objects in one upstream S3 bucket.
type Backend struct {
	c        *minio.Client
	core     minio.Core
	bucket   string
	base     string // Prefix + "/", or ""
	partSize uint64
	logger   *slog.Logger
	// staleAge is how old a claim (a Complete's on its upload, a
	// DeleteBucket's mark) must be before another request may take it
	// over (deleteWait; tests shorten it). fence.go says why a taken-over
	// claim that was only slow is harmless.
	staleAge time.Duration
}

var _ backend.Backend = (*Backend)(nil)

// New checks that the upstream bucket is reachable with the configured
// credentials and returns a Backend on it.
func New(ctx context.Context, opts Options) (*Backend, error) {
	if opts.Client == nil || opts.Bucket == "" {
		return nil, errors.New("s3 backend: an upstream client and bucket are required")
	}
	p := strings.Trim(opts.Prefix, "/")
	if len(p) > maxPrefix || strings.Contains(p, "//") {
		return nil, fmt.Errorf("s3 backend: prefix %q: at most %d bytes, no empty components", p, maxPrefix)
	}
	b := &Backend{c: opts.Client, core: minio.Core{Client: opts.Client}, bucket: opts.Bucket, partSize: opts.PartSize, logger: opts.Logger, staleAge: deleteWait}
	if p != "" {
		b.base = p + "/"
	}
	if b.partSize < minPartSize {
		b.partSize = minPartSize
	}
	ok, err := b.c.BucketExists(ctx, b.bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 backend: upstream bucket %q at %s: %w", b.bucket, b.c.EndpointURL(), err)
	}
	if !ok {
		return nil, fmt.Errorf("s3 backend: upstream bucket %q does not exist at %s (create it first)", b.bucket, b.c.EndpointURL())
	}
	// A listing proves that the credentials may read, not only reach.
	probe := minio.ListObjectsOptions{Prefix: b.base + "b/", MaxKeys: 1}
	if err := b.list(ctx, probe, func(minio.ObjectInfo) bool { return false }); err != nil {
		return nil, fmt.Errorf("s3 backend: listing upstream bucket %q at %s: %w", b.bucket, b.c.EndpointURL(), err)
	}
	return b, nil
}

// randHex returns n random bytes in hex.
func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// errCode is the S3 error code of an upstream error, or "".
func errCode(err error) string { return errResponse(err).Code }

// errResponse finds the upstream's S3 error in an error chain.
func errResponse(err error) minio.ErrorResponse {
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		return r
	}
	return minio.ToErrorResponse(err)
}

func isNotFound(err error) bool {
	r := errResponse(err)
	return r.Code == "NoSuchKey" || r.Code == "NotFound" || r.StatusCode == http.StatusNotFound
}

func isPrecondition(err error) bool {
	r := errResponse(err)
	return r.Code == "PreconditionFailed" || r.StatusCode == http.StatusPreconditionFailed
}

// upstreamErr wraps an upstream failure with what was being done.
// Failures that retrying may cure (the network, 5xx, SlowDown: minio-go
// has already retried them with backoff) also wrap backend.ErrUnavailable.
func upstreamErr(what, name string, err error) error {
	if transient(err) {
		return fmt.Errorf("s3 backend: %s %q: %w: %w", what, name, backend.ErrUnavailable, err)
	}
	return fmt.Errorf("s3 backend: %s %q: %w", what, name, err)
}

func transient(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	r := errResponse(err)
	return r.StatusCode >= 500 || r.Code == "SlowDown" || r.Code == "ServiceUnavailable" || r.Code == "RequestTimeout"
}

// errUndecodable marks a record that exists but does not decode.
var errUndecodable = errors.New("record does not decode")

// errDamaged marks a head that does not decode or names another key: it
// fails reads of its key, and an overwrite or a Delete replaces it.
var errDamaged = errors.New("damaged head")

// getJSON reads a small record. found=false if it does not exist; a
// record that does not decode is found, with its ETag and an error that
// wraps errUndecodable.
func (b *Backend) getJSON(ctx context.Context, name string, v any) (etag string, size int64, found bool, err error) {
	rc, info, _, err := b.core.GetObject(ctx, b.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return "", 0, false, nil
		}
		return "", 0, false, upstreamErr("reading", name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 4*maxMeta))
	if err != nil {
		return "", 0, false, upstreamErr("reading", name, err)
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, v); err != nil {
			return strings.Trim(info.ETag, `"`), int64(len(data)), true, fmt.Errorf("s3 backend: record %q: %w: %w", name, errUndecodable, err)
		}
	}
	return strings.Trim(info.ETag, `"`), int64(len(data)), true, nil
}

// putCond is the upstream condition of a record write: "" unconditional,
// "*" only if absent, else only if the current ETag is this.
type putCond string

// putJSON writes a small record, conditionally. A failed condition
// returns an error satisfying errors.Is(err, backend.ErrPrecondition).
func (b *Backend) putJSON(ctx context.Context, name string, v any, cond putCond) (string, error) {
	return b.putRecord(ctx, name, v, cond, true)
}

// putRecord is putJSON, with minio-go's retries or without. A retried
// conditional PUT whose first answer was lost meets the record it wrote
// itself and fails its condition, which reads like another writer's
// change; without retries every failure but a failed condition is
// reported as what it is, an outcome to find out (see swapHead).
func (b *Backend) putRecord(ctx context.Context, name string, v any, cond putCond, retry bool) (string, error) {
	var data []byte
	if v != nil {
		var err error
		if data, err = json.Marshal(v); err != nil {
			return "", err
		}
	}
	opts := minio.PutObjectOptions{ContentType: "application/json", DisableMultipart: true}
	switch cond {
	case "":
	case "*":
		opts.SetMatchETagExcept("*")
	default:
		opts.SetMatchETag(string(cond))
	}
	var body io.Reader = bytes.NewReader(data)
	if !retry {
		body = struct{ io.Reader }{body} // minio-go retries only bodies it can seek
	}
	info, err := b.c.PutObject(ctx, b.bucket, name, body, int64(len(data)), opts)
	if err != nil {
		if isPrecondition(err) {
			return "", fmt.Errorf("s3 backend: %q changed: %w", name, backend.ErrPrecondition)
		}
		return "", upstreamErr("writing", name, err)
	}
	return strings.Trim(info.ETag, `"`), nil
}

func (b *Backend) remove(ctx context.Context, name string) error {
	err := b.c.RemoveObject(ctx, b.bucket, name, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return upstreamErr("removing", name, err)
	}
	return nil
}

// removePrefix removes every upstream object under p, best effort but
// reporting the first failure.
func (b *Backend) removePrefix(ctx context.Context, p string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing (and the feeder) if RemoveObjects ends early
	objs := make(chan minio.ObjectInfo)
	go func() {
		defer close(objs)
		b.list(ctx, minio.ListObjectsOptions{Prefix: p, Recursive: true}, func(o minio.ObjectInfo) bool {
			select {
			case objs <- o:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	var first error
	for e := range b.c.RemoveObjects(ctx, b.bucket, objs, minio.RemoveObjectsOptions{}) {
		if first == nil && e.Err != nil {
			first = upstreamErr("removing under", p, e.Err)
		}
	}
	return first
}

// names lists upstream names (relative to p) after startAfter, in order,
// calling fn until it returns false.
func (b *Backend) names(ctx context.Context, p, startAfter string, fn func(name string, size int64) bool) error {
	opts := minio.ListObjectsOptions{Prefix: p, Recursive: true}
	if startAfter != "" {
		opts.StartAfter = p + startAfter
	}
	err := b.list(ctx, opts, func(o minio.ObjectInfo) bool { return fn(strings.TrimPrefix(o.Key, p), o.Size) })
	if err != nil {
		return upstreamErr("listing", p, err)
	}
	return nil
}

// list ranges over an upstream listing, calling fn for each entry until it
// returns false; an entry's error ends it. minio-go's producer blocks
// sending its next entry, or once cancelled the cancellation, until it is
// read, so a listing left early is cancelled and then drained here:
// cancelling alone leaks its goroutine (and every paged List leaves its
// listing early).
func (b *Backend) list(ctx context.Context, opts minio.ListObjectsOptions, fn func(minio.ObjectInfo) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	ch := b.c.ListObjects(ctx, b.bucket, opts)
	defer func() {
		cancel()
		for range ch {
		}
	}()
	for o := range ch {
		if o.Err != nil {
			return o.Err
		}
		if !fn(o) {
			return nil
		}
	}
	return nil
}

func metaSize(m backend.Meta) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

func checkMeta(m backend.Meta, where string) error {
	if n := metaSize(m); n > maxMeta {
		return fmt.Errorf("s3 backend: %s: %d bytes of metadata: %w", where, n, backend.ErrMetadataTooLarge)
	}
	return nil
}

func sortStrings(s []string) { sort.Strings(s) }

func errorsIsPrecondition(err error) bool { return errors.Is(err, backend.ErrPrecondition) }
