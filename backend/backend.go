// Package backend defines the narrow blob store that envelopegw keeps its
// ciphertext in.
//
// A backend stores opaque bytes and small string metadata that it cannot
// read: it knows nothing of encryption, of S3 request semantics or of HTTP.
// The interface is deliberately small (buckets, a streamed object writer, a
// random-access reader, stat, list, delete, metadata, and multipart part
// files) so that a new implementation is days of work, not months.
//
// Every implementation must pass the contract suite in backend/backendtest.
//
// Semantics every implementation guarantees:
//
//   - Atomic visibility: an object written through a Writer becomes visible
//     only when Commit returns nil, and then all at once (data and metadata
//     together). Readers see the old object or the new one, never a mix.
//     Abort, an error, or a crash leaves nothing visible.
//   - Durability: when Commit returns nil the bytes and metadata are on
//     stable storage (unless the implementation was configured otherwise).
//   - Keys are any valid S3 key: 1 to 1024 bytes of UTF-8, which may contain
//     "/", "..", spaces and any other character; a key can never address
//     anything outside its bucket.
//   - List returns keys in byte-wise lexicographic order.
//   - Multipart state lives in the store itself, so several processes sharing
//     one store can cooperate on one upload. CompleteUpload does not copy or
//     read part data: the committed parts become the object's extents.
//   - Conditional changes: a Cond passed to NewObject, CompleteUpload or
//     Delete is checked against the object that is current at the instant
//     the change takes effect, atomically with it, also against other
//     processes sharing the store. Versions are opaque tokens
//     (ObjectInfo.Version), so a store that has its own (an upstream S3's
//     ETag or version ID, a generation number) can implement Cond with its
//     native compare-and-swap.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Errors returned by backends. Implementations wrap them with context
// (fmt.Errorf("...: %w", ErrNoSuchKey)); callers test with errors.Is.
var (
	ErrNoSuchBucket     = errors.New("backend: no such bucket")
	ErrBucketExists     = errors.New("backend: bucket already exists")
	ErrBucketNotEmpty   = errors.New("backend: bucket not empty")
	ErrInvalidBucket    = errors.New("backend: invalid bucket name")
	ErrNoSuchKey        = errors.New("backend: no such key")
	ErrInvalidKey       = errors.New("backend: invalid object key")
	ErrNoSuchUpload     = errors.New("backend: no such upload")
	ErrInvalidPart      = errors.New("backend: invalid part")
	ErrPrecondition     = errors.New("backend: precondition failed") // a Cond or SetMeta's ifModTime did not hold
	ErrMetadataTooLarge = errors.New("backend: metadata too large")
	// ErrInvalidUploadIDMarker: ListUploads was given, with a key
	// marker, an upload ID marker that is no upload ID of this backend.
	ErrInvalidUploadIDMarker = errors.New("backend: invalid upload ID marker")
	// ErrSourceChanged: the source of a Copy is no longer the version
	// named (replaced or deleted meanwhile); nothing was changed.
	ErrSourceChanged = errors.New("backend: copy source changed")
	// ErrCopyUnsupported: this store cannot share these bytes (Copy
	// between filesystems); copy them through a Writer instead.
	ErrCopyUnsupported = errors.New("backend: copy not supported here")
)

// Meta is the small set of string attributes stored with an object, a part
// or an upload. The backend stores it verbatim and never interprets it.
// Implementations accept at least 1 MiB of metadata in total (keys plus
// values) and reject more with ErrMetadataTooLarge.
type Meta map[string]string

// Clone returns a copy of m that shares nothing with it.
func (m Meta) Clone() Meta {
	if m == nil {
		return nil
	}
	c := make(Meta, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// ObjectInfo describes a stored object. Size counts stored bytes (for
// envelopegw, ciphertext), not what the object means to its owner.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
	Meta    Meta
	// Version is an opaque token naming this version of the object: every
	// commit, CompleteUpload and SetMeta makes a new one, and a token is
	// never reused for the same key. Compare it only for equality, and
	// only to pass it back in Cond.IfVersion.
	Version string
}

// Cond makes a commit or a delete conditional on the object current at
// the key when the change takes effect. The check and the change are one
// atomic step (across processes sharing the store), so of several
// conditional writers racing on one key exactly those whose condition
// still holds at their commit succeed; a failed condition changes nothing
// and returns an error satisfying errors.Is(err, ErrPrecondition). The
// zero Cond is unconditional.
//
// Create-only (S3's If-None-Match: *, or a role that must never
// overwrite):
//
//	w, _ := b.NewObject(ctx, bucket, key, backend.Cond{IfAbsent: true})
//	... write ...
//	info, err := w.Commit(meta) // ErrPrecondition if any object exists by now
//
// Compare-and-swap (S3's If-Match: ETag): Stat the object, check what
// the caller cares about (its ETag in Meta), then pass the Version that
// was checked, so that any change in between fails the commit instead of
// being overwritten:
//
//	info, _ := b.Stat(ctx, bucket, key)
//	... info.Meta satisfies the request ...
//	err := b.Delete(ctx, bucket, key, backend.Cond{IfVersion: info.Version})
//
// After ErrPrecondition the caller may Stat again to tell "the object
// now exists" (or "is gone") from "it changed".
type Cond struct {
	IfAbsent  bool   // only if no object exists at the key
	IfVersion string // only if the current object's Version is this ("" = no version condition)
}

// CheckConds is the evaluation every implementation shares: it returns nil
// if all conds hold for the current object (exists, and if so its
// version), else an error wrapping ErrPrecondition that names where.
// Implementations call it inside their atomic step.
func CheckConds(conds []Cond, where string, exists bool, version string) error {
	for _, c := range conds {
		switch {
		case c.IfAbsent && exists:
			return fmt.Errorf("%s: an object exists: %w", where, ErrPrecondition)
		case c.IfVersion != "" && !exists:
			return fmt.Errorf("%s: no object (wanted version %s): %w", where, c.IfVersion, ErrPrecondition)
		case c.IfVersion != "" && c.IfVersion != version:
			return fmt.Errorf("%s: version %s is current, not %s: %w", where, version, c.IfVersion, ErrPrecondition)
		}
	}
	return nil
}

// CopySource names one version of an object for Backend.Copy.
type CopySource struct {
	Bucket, Key string
	Version     string // ObjectInfo.Version of the object the caller read
}

// ListOptions selects a page of keys.
type ListOptions struct {
	Prefix    string // only keys that start with Prefix
	Delimiter string // roll keys up to the first Delimiter after Prefix
	After     string // only keys (and common prefixes) strictly greater than After
	MaxKeys   int    // at most this many Objects+CommonPrefixes; <= 0 means 1000
}

// ListPage is one page of a listing, in lexicographic order. When
// IsTruncated, NextAfter is the last key or common prefix returned and can
// be passed as ListOptions.After to continue.
type ListPage struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	NextAfter      string
}

// Upload describes an in-progress multipart upload.
type Upload struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
	Meta      Meta
}

// UploadListOptions selects a page of in-progress uploads, ordered by key
// then by initiation time then by upload ID.
type UploadListOptions struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string // uploads for keys > KeyMarker, or == KeyMarker with ...
	UploadIDMarker string // ... an upload ID ordered after UploadIDMarker; ignored without KeyMarker, ErrInvalidUploadIDMarker if not an upload ID
	MaxUploads     int    // <= 0 means 1000
}

// UploadPage is one page of ListUploads.
type UploadPage struct {
	Uploads            []Upload
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// PartInfo describes a committed part. ID names this particular version of
// the part: re-sending a part number produces a new ID, and the last commit
// wins.
type PartInfo struct {
	Number  int
	ID      string
	Size    int64
	ModTime time.Time
	Meta    Meta
}

// PartRef names one version of one part for CompleteUpload.
type PartRef struct {
	Number int
	ID     string
}

// Writer streams the bytes of a new object or part. Nothing is visible until
// Commit; Abort (or Commit failing) discards everything written. Exactly one
// of Commit or Abort must be called; Abort after Commit is a no-op, so
// `defer w.Abort()` is the expected pattern.
//
// Commit returns what it committed, exactly as a Stat right after it
// would (Key, Size, ModTime, Meta, Version), so a caller never needs a
// second round trip that could already see a later change. For a part
// (NewPart), Version is the part's ID (PartInfo.ID).
type Writer interface {
	io.Writer
	Commit(meta Meta) (ObjectInfo, error)
	Abort() error
}

// Object is an open, consistent view of one object's stored bytes. ReadAt
// follows io.ReaderAt; it may be called concurrently.
type Object interface {
	io.ReaderAt
	Info() ObjectInfo
	Close() error
}

// Backend is a blob store. All methods are safe for concurrent use, also
// from several processes sharing the same store.
type Backend interface {
	CreateBucket(ctx context.Context, bucket string) error // ErrBucketExists
	// DeleteBucket removes a bucket that holds no object, with its
	// in-progress uploads (as S3 does), atomically with respect to every
	// other change in the bucket: a part or object committed concurrently
	// either lands first (and then an object makes the bucket not empty)
	// or fails with ErrNoSuchBucket. ErrBucketNotEmpty, ErrNoSuchBucket.
	DeleteBucket(ctx context.Context, bucket string) error
	HeadBucket(ctx context.Context, bucket string) (BucketInfo, error)
	ListBuckets(ctx context.Context) ([]BucketInfo, error) // sorted by name

	// NewObject starts writing bucket/key; Commit replaces any existing
	// object atomically, if every cond holds at that instant.
	NewObject(ctx context.Context, bucket, key string, cond ...Cond) (Writer, error)
	Open(ctx context.Context, bucket, key string) (Object, error) // ErrNoSuchKey
	Stat(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// SetMeta replaces the metadata of an existing object without touching
	// its data. If ifModTime is non-zero and the object's ModTime differs,
	// it fails with ErrPrecondition (guards read-modify-write races).
	SetMeta(ctx context.Context, bucket, key string, meta Meta, ifModTime time.Time) (ObjectInfo, error)
	// Delete removes bucket/key, if every cond holds; deleting a
	// missing key returns ErrNoSuchKey (also with IfVersion set).
	Delete(ctx context.Context, bucket, key string, cond ...Cond) error
	List(ctx context.Context, bucket string, opts ListOptions) (ListPage, error)
	// Copy makes dstBucket/dstKey an object with the stored bytes of
	// src (exactly version src.Version) and meta, atomically, if every
	// cond holds, as NewObject's Commit would, without the caller reading
	// or writing those bytes: the store shares or copies them itself (hard
	// links, an upstream server-side copy). The two objects are then
	// independent: deleting or replacing either leaves the other intact.
	// ErrNoSuchKey if src is missing; ErrSourceChanged if it is not at
	// src.Version; ErrCopyUnsupported if the store cannot share the bytes
	// of these two places. Nothing is changed when it fails.
	Copy(ctx context.Context, src CopySource, dstBucket, dstKey string, meta Meta, cond ...Cond) (ObjectInfo, error)

	CreateUpload(ctx context.Context, bucket, key string, meta Meta) (uploadID string, err error)
	StatUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error) // ErrNoSuchUpload
	// NewPart starts writing part number (1..10000) of an upload; Commit
	// makes it the current version of that part number.
	NewPart(ctx context.Context, bucket, key, uploadID string, number int) (Writer, error)
	ListParts(ctx context.Context, bucket, key, uploadID string) ([]PartInfo, error) // current versions, by number
	// CompleteUpload makes the named part versions, in the given order, the
	// extents of bucket/key with meta, atomically, and removes the upload.
	// A ref whose ID is not the current version fails with ErrInvalidPart.
	// Every cond is checked against the object the head replaces;
	// when it fails, the upload stays as it was.
	CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []PartRef, meta Meta, cond ...Cond) (ObjectInfo, error)
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error
	ListUploads(ctx context.Context, bucket string, opts UploadListOptions) (UploadPage, error)
}
