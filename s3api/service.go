package s3api

import (
	"context"
	"io"
	"time"
)

// Service is the object service behind the HTTP layer. s3api owns this
// interface: it parses, authenticates and verifies requests, then calls the
// Service with plain values; the Service never sees HTTP.
//
// Errors: a Service returns *Error values (see errors.go), possibly wrapped;
// anything else becomes a 500 InternalError.
type Service interface {
	ListBuckets(ctx context.Context) ([]BucketInfo, error)
	CreateBucket(ctx context.Context, bucket string) error
	HeadBucket(ctx context.Context, bucket string) error
	DeleteBucket(ctx context.Context, bucket string) error

	PutObject(ctx context.Context, in *PutObjectInput) (*PutObjectOutput, error)
	// GetObject opens bucket/key for GET and HEAD. The handler evaluates
	// conditions and ranges on Info, then reads what it needs.
	GetObject(ctx context.Context, bucket, key string) (ObjectReader, error)
	// DeleteObject removes bucket/key if every cond holds, atomically with
	// the delete (see DeleteConditions); a missing key is ErrNoSuchKey.
	DeleteObject(ctx context.Context, bucket, key string, cond ...DeleteConditions) error
	CopyObject(ctx context.Context, in *CopyObjectInput) (*CopyObjectOutput, error)
	ListObjects(ctx context.Context, in *ListObjectsInput) (*ListObjectsOutput, error)

	CreateMultipartUpload(ctx context.Context, in *CreateMultipartUploadInput) (uploadID string, err error)
	UploadPart(ctx context.Context, in *UploadPartInput) (*UploadPartOutput, error)
	UploadPartCopy(ctx context.Context, in *UploadPartCopyInput) (*UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *CompleteMultipartUploadInput) (*CompleteMultipartUploadOutput, error)
	// AbortMultipartUpload discards an upload if every cond holds (an
	// upload's initiation time never changes, so no race to hold).
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string, cond ...AbortConditions) error
	ListParts(ctx context.Context, in *ListPartsInput) (*ListPartsOutput, error)
	ListMultipartUploads(ctx context.Context, in *ListUploadsInput) (*ListUploadsOutput, error)

	// PutObjectTagging replaces the tags of an existing object, atomically
	// and without rewriting its data; nil tags removes them.
	PutObjectTagging(ctx context.Context, bucket, key string, tags []Tag) error
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// ObjectMeta is what a client may set on an object and gets back on GET.
type ObjectMeta struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string            // as the client sent it (an HTTP date)
	User               map[string]string // x-amz-meta-*: lower-case name without the prefix -> value
	// WebsiteRedirect is x-amz-website-redirect-location (website_redirect.go).
	WebsiteRedirect string
}

// Checksum algorithm names, as S3 spells them in headers (lower case) and
// XML elements.
const (
	ChecksumCRC32     = "CRC32"
	ChecksumCRC32C    = "CRC32C"
	ChecksumCRC64NVME = "CRC64NVME"
	ChecksumSHA1      = "SHA1"
	ChecksumSHA256    = "SHA256"
	ChecksumSHA512    = "SHA512"
	ChecksumMD5       = "MD5"
	ChecksumXXHASH64  = "XXHASH64"
	ChecksumXXHASH3   = "XXHASH3"
	ChecksumXXHASH128 = "XXHASH128"
)

// Checksum types for multipart objects.
const (
	ChecksumTypeComposite  = "COMPOSITE"
	ChecksumTypeFullObject = "FULL_OBJECT"
)

// Checksums maps an algorithm name (ChecksumCRC32, ...) to its value as S3
// shows it: base64 of the digest, with "-N" appended for composite
// multipart checksums.
type Checksums map[string]string

// ObjectInfo is what GET, HEAD and listings report about an object. Size is
// the plaintext size; ETag is without quotes.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
	Meta         ObjectMeta
	Checksums    Checksums
	ChecksumType string     // "" for single-part objects, else ChecksumType*
	PartsCount   int        // 0 for objects not created by multipart upload
	Tags         []Tag      // in the order they were given; not set by listings
	VersionID    string     // the version's ID; "" when the Service names none (never versioned)
	Retention    *Retention // Object Lock retention, nil for none
	LegalHold    string     // "", ON or OFF
}

// ObjectReader is an opened object. ReadRange returns the plaintext bytes
// [off, off+n); it returns an error before any byte if the range cannot be
// served (e.g. the gateway holds no key: AccessDenied). Errors later in the
// stream (failed authentication of a segment) surface from Read and make the
// handler abort the connection.
type ObjectReader interface {
	Info() *ObjectInfo
	ReadRange(off, n int64) (io.ReadCloser, error)
	// PartRange maps a part number to its plaintext range (GET ?partNumber=).
	PartRange(partNumber int) (off, n int64, err error)
	// PartChecksums are the checksums of one part, for ?partNumber= with
	// x-amz-checksum-mode: ENABLED; nil when unknown.
	PartChecksums(partNumber int) Checksums
	Close() error
}

// Body is a request payload after transfer decoding (aws-chunked), with its
// digests. Read returns io.EOF only after every declared digest (payload
// SHA-256, chunk signatures, Content-MD5, x-amz-checksum-* header or
// trailer) has been verified; a mismatch is returned from Read as an *Error
// (BadDigest, XAmzContentSHA256Mismatch, SignatureDoesNotMatch, ...).
type Body interface {
	io.Reader
	// Sums is valid after Read returned io.EOF: the MD5 of the payload
	// (always computed) and every x-amz-checksum the client declared.
	Sums() Sums
}

// Sums are the verified digests of a request body.
type Sums struct {
	MD5       []byte
	Checksums Checksums // single-object form: base64 of the digest
}

// PutObjectInput is a PutObject request. Size is the decoded length, or -1.
type PutObjectInput struct {
	Bucket, Key string
	Body        Body
	Size        int64
	Meta        ObjectMeta
	Cond        WriteConditions // If-None-Match / If-Match, held atomically with the commit
	Tags        []Tag
	Lock        *ObjectLockWrite // x-amz-object-lock-* headers; nil when none
}

// PutObjectOutput answers PutObject. ETag is without quotes.
type PutObjectOutput struct {
	ETag      string
	Checksums Checksums
	VersionID string // the new version's ID ("" when the Service names none)
}

// CopyObjectInput is a CopyObject request. When ReplaceMeta is false the
// source's metadata is copied and Meta is ignored; likewise ReplaceTags
// and Tags for the source's tags. SourceCheck, when set, is
// called with the source's info before anything is written (the
// x-amz-copy-source-if-* conditions); its error is returned as is.
type CopyObjectInput struct {
	SrcBucket, SrcKey string
	SrcVersionID      string // the source version; "" for the current one
	DstBucket, DstKey string
	ReplaceMeta       bool
	Meta              ObjectMeta
	// Redirect is the request's x-amz-website-redirect-location: the
	// copy's, whatever the directive; S3 never copies the source's.
	Redirect    string
	ReplaceTags bool
	Tags        []Tag
	SourceCheck func(*ObjectInfo) error
	// Cond: If-None-Match / If-Match on the destination, held atomically
	// with the commit as for PutObject.
	Cond WriteConditions
	// Checksum is x-amz-checksum-algorithm: the destination gets a
	// FULL_OBJECT checksum of this algorithm ("" keeps the source's).
	Checksum string
	// Lock is the x-amz-object-lock-* headers (nil when none): the copy
	// gets this lock or the bucket's default, never the source's.
	Lock *ObjectLockWrite
}

// CopyObjectOutput answers CopyObject.
type CopyObjectOutput struct {
	VersionID    string // the new version's ID
	SrcVersionID string // the version copied
	ETag         string
	LastModified time.Time
	Checksums    Checksums
	ChecksumType string
}

// ListObjectsInput is a ListObjects (v1 or v2) request: the handler turns
// marker, start-after and continuation tokens into After.
type ListObjectsInput struct {
	Bucket    string
	Prefix    string
	Delimiter string
	After     string
	MaxKeys   int
}

// ListObjectsOutput is one page, in lexicographic order; NextAfter is the
// last key or common prefix in the page.
type ListObjectsOutput struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	NextAfter      string
}

// CreateMultipartUploadInput starts a multipart upload. ChecksumAlgorithm
// and ChecksumType are "" when the client did not ask for them.
type CreateMultipartUploadInput struct {
	Bucket, Key       string
	Meta              ObjectMeta
	Tags              []Tag
	ChecksumAlgorithm string
	ChecksumType      string
	Lock              *ObjectLockWrite // x-amz-object-lock-* headers; nil when none
}

// UploadPartInput is an UploadPart request; Size is the decoded length or -1.
type UploadPartInput struct {
	Bucket, Key, UploadID string
	PartNumber            int
	Body                  Body
	Size                  int64
}

// UploadPartOutput answers UploadPart and UploadPartCopy.
type UploadPartOutput struct {
	ETag         string
	LastModified time.Time
	Checksums    Checksums
	SrcVersionID string // UploadPartCopy: the version copied; "" when the Service names none
}

// UploadPartCopyInput copies (a range of) an object into a part. Range is
// nil for the whole source.
type UploadPartCopyInput struct {
	Bucket, Key, UploadID string
	PartNumber            int
	SrcBucket, SrcKey     string
	SrcVersionID          string // "" for the current version
	Range                 *ByteRange
	SourceCheck           func(*ObjectInfo) error
}

// ByteRange is an inclusive byte range First..Last as in
// "bytes=First-Last" (x-amz-copy-source-range is always of that form).
type ByteRange struct{ First, Last int64 }

// CompletedPart is one entry of a CompleteMultipartUpload body.
type CompletedPart struct {
	PartNumber int
	ETag       string // without quotes
	Checksums  Checksums
}

// CompleteMultipartUploadInput completes an upload.
type CompleteMultipartUploadInput struct {
	Bucket, Key, UploadID string
	Parts                 []CompletedPart
	// ExpectedChecksums are the request's x-amz-checksum-<alg> headers:
	// the checksum the client expects for the whole object (composite
	// values may come with or without the "-N" suffix). nil when the
	// client sent none. A Service that computes the object checksum
	// answers BadDigest, before committing, when it differs.
	ExpectedChecksums Checksums
	// ChecksumType is x-amz-checksum-type ("" if not sent): a Service
	// answers BadDigest when the object's checksum type differs, as S3.
	ChecksumType string
	Cond         WriteConditions // If-None-Match / If-Match, held atomically with the commit
	// ObjectSize is x-amz-mp-object-size, the size the client expects
	// the object to have, nil when not sent: a Service answers
	// InvalidRequest, before committing, when the parts add up otherwise.
	ObjectSize *int64
}

// CompleteMultipartUploadOutput answers CompleteMultipartUpload.
type CompleteMultipartUploadOutput struct {
	VersionID    string // the new version's ID
	ETag         string // "<hex md5 of part md5s>-N", without quotes
	Checksums    Checksums
	ChecksumType string
}

// ListPartsInput lists the parts of an upload.
type ListPartsInput struct {
	Bucket, Key, UploadID string
	PartNumberMarker      int
	MaxParts              int
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	PartNumber   int
	ETag         string
	Size         int64
	LastModified time.Time
	Checksums    Checksums
}

// ListPartsOutput is one page of parts.
type ListPartsOutput struct {
	Parts                []PartInfo
	IsTruncated          bool
	NextPartNumberMarker int
	ChecksumAlgorithm    string
	ChecksumType         string
	Initiated            time.Time
}

// ListUploadsInput lists in-progress uploads of a bucket.
type ListUploadsInput struct {
	Bucket         string
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// UploadInfo describes an in-progress upload.
type UploadInfo struct {
	Key       string
	UploadID  string
	Initiated time.Time
	// ChecksumAlgorithm and ChecksumType are what the upload was created
	// with; empty when it was created without a checksum.
	ChecksumAlgorithm string
	ChecksumType      string
}

// ListUploadsOutput is one page of uploads.
type ListUploadsOutput struct {
	Uploads            []UploadInfo
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}
