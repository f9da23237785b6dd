package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
)

// Versioning is implemented by a Service that keeps object versions (S3
// bucket versioning). The handler asks for it with a type assertion, so a
// Service without versions keeps working: it answers versionId=null only,
// reports every bucket as never versioned, and refuses PUT ?versioning.
type Versioning interface {
	// GetBucketVersioning returns "" (never enabled), VersioningEnabled
	// or VersioningSuspended.
	GetBucketVersioning(ctx context.Context, bucket string) (string, error)
	PutBucketVersioning(ctx context.Context, bucket, status string) error
	// GetObjectVersion opens one version of bucket/key ("null" is the
	// null version). A version that is a delete marker fails with a
	// *DeleteMarkerError wrapping ErrMethodNotAllowed.
	GetObjectVersion(ctx context.Context, bucket, key, versionID string) (ObjectReader, error)
	// DeleteObjectVersion deletes version versionID of bucket/key, or,
	// with versionID "", does what DELETE without a version does in the
	// bucket's state (a delete marker when versioning is on).
	// bypass is an authorized x-amz-bypass-governance-retention.
	DeleteObjectVersion(ctx context.Context, bucket, key, versionID string, bypass bool, cond ...DeleteConditions) (DeleteOutput, error)
	ListObjectVersions(ctx context.Context, in *ListVersionsInput) (*ListVersionsOutput, error)
}

// Bucket versioning states, as S3 spells them.
// maxSmallXML bounds small configuration bodies (versioning, retention).
const maxSmallXML = 64 << 10

const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// DeleteOutput says what a delete did: the version it removed or created,
// and whether that version is a delete marker.
type DeleteOutput struct {
	VersionID    string
	DeleteMarker bool
}

// DeleteMarkerError is the error for a request that met a delete marker:
// the response carries x-amz-delete-marker: true and the marker's version
// (404 NoSuchKey when the marker is current, 405 when it was named).
type DeleteMarkerError struct {
	Err          *Error
	VersionID    string
	LastModified string // HTTP date, for a named marker
}

func (e *DeleteMarkerError) Error() string { return e.Err.Error() }
func (e *DeleteMarkerError) Unwrap() error { return e.Err }

// ErrInvalidBucketState answers a change the bucket's state forbids
// (suspending versioning on an Object Lock bucket).
var ErrInvalidBucketState = newErr("InvalidBucketState", http.StatusConflict, "The request is not valid with the current state of the bucket.")

// ErrNoSuchVersion answers a version ID that names no version.
var ErrNoSuchVersion = newErr("NoSuchVersion", http.StatusNotFound, "The specified version does not exist.")

// ListVersionsInput is a ListObjectVersions request.
type ListVersionsInput struct {
	Bucket          string
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int
}

// VersionInfo is one entry of a version listing: an object version or
// (DeleteMarker) a delete marker, which has no size, ETag or checksums.
type VersionInfo struct {
	ObjectInfo
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
}

// ListVersionsOutput is one page: versions by key, newest first within
// a key; common prefixes count towards MaxKeys as in ListObjects.
type ListVersionsOutput struct {
	Versions            []VersionInfo
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// versioning returns the Service's Versioning, or nil.
func (rq *request) versioning() Versioning {
	v, _ := rq.h.svc.(Versioning)
	return v
}

// setDeleteMarkerHeaders adds what S3 sends with an answer about a delete
// marker.
func setDeleteMarkerHeaders(h http.Header, err error) {
	var dm *DeleteMarkerError
	if !errors.As(err, &dm) {
		return
	}
	h.Set("x-amz-delete-marker", "true")
	if dm.VersionID != "" {
		h.Set("x-amz-version-id", dm.VersionID)
	}
	if dm.LastModified != "" {
		h.Set("Last-Modified", dm.LastModified)
	}
}

// putBucketVersioning answers PUT /bucket?versioning.
func (rq *request) putBucketVersioning() error {
	v := rq.versioning()
	if v == nil {
		return ErrNotImplemented.WithMessage("Versioning is not implemented by this gateway's object service.")
	}
	data, err := rq.requiredDocument("PutBucketVersioning", maxSmallXML, ErrMalformedXML.WithMessage("The VersioningConfiguration is larger than %d bytes.", maxSmallXML))
	if err != nil {
		return err
	}
	var cfg versioningConfigurationIn
	if err := decodeStrict(data, &cfg); err != nil {
		return err
	}
	if cfg.XMLName.Local != "VersioningConfiguration" {
		return ErrMalformedXML
	}
	if cfg.Status != VersioningEnabled && cfg.Status != VersioningSuspended {
		return ErrMalformedXML.WithMessage("The versioning Status must be Enabled or Suspended, not %q.", truncate(cfg.Status, 40))
	}
	if cfg.MfaDelete == "Enabled" {
		return ErrInvalidArgument.WithMessage("MFA delete is not supported by this gateway: it has no MFA devices.")
	}
	if err := v.PutBucketVersioning(rq.r.Context(), rq.bucket, cfg.Status); err != nil {
		return err
	}
	rq.noContent(http.StatusOK)
	return nil
}

type versioningConfigurationIn struct {
	XMLName   xml.Name
	Status    string
	MfaDelete string
}

// checkVersionSyntax refuses what cannot be a version ID before any
// service call ("null", or what the Service made: letters and digits).
func checkVersionSyntax(v string) error {
	if v == "null" {
		return nil
	}
	if v == "" {
		// S3 refuses "?versionId=" (the SDKs send it for an empty
		// string) rather than reading it as no version.
		return ErrInvalidArgument.WithMessage("Version id cannot be the empty string")
	}
	if len(v) > 64 {
		return errInvalidVersionID
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return errInvalidVersionID
		}
	}
	return nil
}

// errInvalidVersionID is S3's answer to a versionId it could not have
// made (its wording, without a final period).
var errInvalidVersionID = ErrInvalidArgument.WithMessage("Invalid version id specified")

// ErrVersionedBucketNotEmpty is S3's BucketNotEmpty for a bucket that has
// had versioning: its versions and delete markers count too.
var ErrVersionedBucketNotEmpty = newErr("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty. You must delete all versions in the bucket.")

func init() {
	otherWording[ErrBucketNotEmpty.Code] = append(otherWording[ErrBucketNotEmpty.Code], ErrVersionedBucketNotEmpty.Message)
}
