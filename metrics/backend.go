package metrics

import (
	"context"
	"errors"
	"io"
	"time"

	"envelopegw/backend"
)

// Backend wraps be so that every call is timed and counted, commits are
// timed separately (they hold the fsyncs), stored bytes are counted, and
// created and deleted buckets enter and leave the newest-object metric
// (objects do not: at this level the gateway's own records, such as
// bucket configuration and delete markers, look like objects; End counts
// the arrivals clients make). It changes no
// behaviour: results and errors pass through untouched. Unwrap returns be,
// for callers that look for optional interfaces of an implementation.
func (m *Metrics) Backend(be backend.Backend) backend.Backend {
	return &timedBackend{be: be, m: m}
}

// backendOps are the operation labels of the backend series: the calls
// the wrapper times, and Commit (of an object or part writer).
var backendOps = []string{"CreateBucket", "DeleteBucket", "HeadBucket", "ListBuckets", "NewObject",
	"Open", "Stat", "SetMeta", "Delete", "Copy", "List", "CreateUpload", "StatUpload", "NewPart",
	"ListParts", "CompleteUpload", "AbortUpload", "ListUploads", "Commit"}

type timedBackend struct {
	be backend.Backend
	m  *Metrics
}

// Unwrap returns the wrapped backend.
func (t *timedBackend) Unwrap() backend.Backend { return t.be }

// done records one call that started at start.
func (t *timedBackend) done(op string, start time.Time, err error) {
	t.m.backendObserver(op).Observe(time.Since(start).Seconds())
	if err != nil && !expected(err) {
		t.m.backendError(op).Inc()
	}
}

// expected reports errors that answer a question (no such key) rather
// than report a failing store.
func expected(err error) bool {
	for _, e := range []error{backend.ErrNoSuchBucket, backend.ErrNoSuchKey, backend.ErrNoSuchUpload,
		backend.ErrBucketExists, backend.ErrBucketNotEmpty, backend.ErrInvalidBucket, backend.ErrInvalidKey,
		backend.ErrInvalidPart, backend.ErrPrecondition, backend.ErrMetadataTooLarge, backend.ErrSourceChanged,
		context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (t *timedBackend) CreateBucket(ctx context.Context, bucket string) error {
	start := time.Now()
	err := t.be.CreateBucket(ctx, bucket)
	t.done("CreateBucket", start, err)
	if err == nil {
		t.m.newest.saw(bucket, start)
	}
	return err
}

func (t *timedBackend) DeleteBucket(ctx context.Context, bucket string) error {
	start := time.Now()
	err := t.be.DeleteBucket(ctx, bucket)
	t.done("DeleteBucket", start, err)
	if err == nil {
		t.m.newest.forget(bucket)
	}
	return err
}

func (t *timedBackend) HeadBucket(ctx context.Context, bucket string) (backend.BucketInfo, error) {
	start := time.Now()
	bi, err := t.be.HeadBucket(ctx, bucket)
	t.done("HeadBucket", start, err)
	return bi, err
}

func (t *timedBackend) ListBuckets(ctx context.Context) ([]backend.BucketInfo, error) {
	start := time.Now()
	bs, err := t.be.ListBuckets(ctx)
	t.done("ListBuckets", start, err)
	return bs, err
}

func (t *timedBackend) NewObject(ctx context.Context, bucket, key string, cond ...backend.Cond) (backend.Writer, error) {
	start := time.Now()
	w, err := t.be.NewObject(ctx, bucket, key, cond...)
	t.done("NewObject", start, err)
	if err != nil {
		return nil, err
	}
	return &timedWriter{w: w, m: t.m, kind: "object"}, nil
}

func (t *timedBackend) Open(ctx context.Context, bucket, key string) (backend.Object, error) {
	start := time.Now()
	o, err := t.be.Open(ctx, bucket, key)
	t.done("Open", start, err)
	if err != nil {
		return nil, err
	}
	return &countedObject{Object: o, m: t.m}, nil
}

func (t *timedBackend) Stat(ctx context.Context, bucket, key string) (backend.ObjectInfo, error) {
	start := time.Now()
	oi, err := t.be.Stat(ctx, bucket, key)
	t.done("Stat", start, err)
	return oi, err
}

func (t *timedBackend) SetMeta(ctx context.Context, bucket, key string, meta backend.Meta, ifModTime time.Time) (backend.ObjectInfo, error) {
	start := time.Now()
	oi, err := t.be.SetMeta(ctx, bucket, key, meta, ifModTime)
	t.done("SetMeta", start, err)
	return oi, err
}

func (t *timedBackend) Delete(ctx context.Context, bucket, key string, cond ...backend.Cond) error {
	start := time.Now()
	err := t.be.Delete(ctx, bucket, key, cond...)
	t.done("Delete", start, err)
	return err
}

func (t *timedBackend) Copy(ctx context.Context, src backend.CopySource, bucket, key string, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	start := time.Now()
	oi, err := t.be.Copy(ctx, src, bucket, key, meta, cond...)
	t.done("Copy", start, err)
	return oi, err
}

func (t *timedBackend) List(ctx context.Context, bucket string, opts backend.ListOptions) (backend.ListPage, error) {
	start := time.Now()
	p, err := t.be.List(ctx, bucket, opts)
	t.done("List", start, err)
	return p, err
}

func (t *timedBackend) CreateUpload(ctx context.Context, bucket, key string, meta backend.Meta) (string, error) {
	start := time.Now()
	id, err := t.be.CreateUpload(ctx, bucket, key, meta)
	t.done("CreateUpload", start, err)
	return id, err
}

func (t *timedBackend) StatUpload(ctx context.Context, bucket, key, uploadID string) (backend.Upload, error) {
	start := time.Now()
	u, err := t.be.StatUpload(ctx, bucket, key, uploadID)
	t.done("StatUpload", start, err)
	return u, err
}

func (t *timedBackend) NewPart(ctx context.Context, bucket, key, uploadID string, number int) (backend.Writer, error) {
	start := time.Now()
	w, err := t.be.NewPart(ctx, bucket, key, uploadID, number)
	t.done("NewPart", start, err)
	if err != nil {
		return nil, err
	}
	return &timedWriter{w: w, m: t.m, kind: "part"}, nil
}

func (t *timedBackend) ListParts(ctx context.Context, bucket, key, uploadID string) ([]backend.PartInfo, error) {
	start := time.Now()
	ps, err := t.be.ListParts(ctx, bucket, key, uploadID)
	t.done("ListParts", start, err)
	return ps, err
}

func (t *timedBackend) CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []backend.PartRef, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	start := time.Now()
	oi, err := t.be.CompleteUpload(ctx, bucket, key, uploadID, parts, meta, cond...)
	t.done("CompleteUpload", start, err)
	t.m.commitObserver("complete").Observe(time.Since(start).Seconds())
	return oi, err
}

func (t *timedBackend) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	start := time.Now()
	err := t.be.AbortUpload(ctx, bucket, key, uploadID)
	t.done("AbortUpload", start, err)
	return err
}

func (t *timedBackend) ListUploads(ctx context.Context, bucket string, opts backend.UploadListOptions) (backend.UploadPage, error) {
	start := time.Now()
	p, err := t.be.ListUploads(ctx, bucket, opts)
	t.done("ListUploads", start, err)
	return p, err
}

// timedWriter counts the bytes of an object or part and times its commit.
type timedWriter struct {
	w    backend.Writer
	m    *Metrics
	kind string // "object" or "part"
}

func (w *timedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.m.hot.bytesWritten.Add(float64(n))
	return n, err
}

func (w *timedWriter) Commit(meta backend.Meta) (backend.ObjectInfo, error) {
	start := time.Now()
	info, err := w.w.Commit(meta)
	w.m.commitObserver(w.kind).Observe(time.Since(start).Seconds())
	if err != nil {
		if !expected(err) {
			w.m.backendError("Commit").Inc()
		}
		return info, err
	}
	return info, nil
}

func (w *timedWriter) Abort() error { return w.w.Abort() }

// countedObject counts stored bytes read.
type countedObject struct {
	backend.Object
	m *Metrics
}

func (o *countedObject) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.Object.ReadAt(p, off)
	o.m.hot.bytesRead.Add(float64(n))
	return n, err
}

var (
	_ backend.Backend = (*timedBackend)(nil)
	_ io.ReaderAt     = (*countedObject)(nil)
)
