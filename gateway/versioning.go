package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// # Versioning
//
// Versions are built in the gateway on top of the backend's primitives
// (objects, List, the Cond compare-and-swap), so they work on every
// backend alike and cost an unversioned bucket one Stat per write (of its
// configuration, below) and nothing on reads and listings.
//
// Layout inside a bucket. User keys never contain NUL (s3api refuses
// them: no S3 XML document can carry one), so every backend key that
// starts with NUL is the gateway's own and sorts before all user keys:
//
//	<key>                           the current version: an object, or a delete marker
//	"\x00v" <key> "\x00" <suffix>   a noncurrent version (object or marker)
//	"\x00cfg"                       the bucket's configuration (versioning, Object Lock)
//
// A version ID is 16 hex digits of (MaxInt64 - creation time in ns) then
// 16 random hex digits, so the suffixes of a key's noncurrent versions
// sort newest first; the null version's suffix is the same time prefix
// followed by "null". "\x00" separates key and suffix, so every version
// of "a" sorts before any version of "a/b", and ListObjectVersions is a
// merge of two ordered listings (current, noncurrent) with no index.
//
// Binding. An object version's ID is sealed in its signed record's
// attributes (mVersionID): the record binds bucket, key and write ID as
// before, and the version ID with them. Reading version V of key K opens
// the backend entry named for it and holds the record to bucket, K and V,
// so a record moved to another version's name, another key, or the null
// slot fails verification. A noncurrent version keeps the very record it
// was written with (its ciphertext and metadata are copied verbatim).
// Delete markers carry no data and no signature (they are metadata only):
// someone who can write the volume can plant or remove one, as they can
// delete any file; the inventory log is what detects that.
//
// Writes. A write into a versioned bucket Stats the current object,
// copies it to its noncurrent name (create-only: a copy another process
// already made is the same bytes) and commits the new version under
// Cond{IfVersion: current} (or IfAbsent). Of concurrent writers of one
// key, across processes, a commit that lost the race keeps the new
// current version and tries again: no version is ever lost or
// overwritten. A streamed PUT into a versioning-enabled bucket commits
// its body at its version's noncurrent name first and is then copied
// onto the key, so it can try again without the body
// (versioning_stage.go); in a suspended bucket a PUT that lost is
// refused with 503, which S3 clients retry.
// Keeping the old current version is a Backend.Copy (posix: hard links;
// upstream S3: a server-side copy), so no byte passes through the
// gateway; a store that cannot share bytes falls back to streaming them.
//
// Deleting the current version by ID promotes the newest noncurrent one
// by one atomic conditional replace of the current entry, so no reader
// and no crash sees the key without it (versioning_promote.go).

const (
	mVersionID  = "vid" // sealed attribute: the version ID of an object written with versioning on
	mMarker     = "dm"  // a delete marker's version ID ("null" in a suspended bucket)
	mMarkerTime = "dmt" // a delete marker's creation time, RFC 3339
	metaMarker  = "dm"  // mVersion of a delete marker

	reservedPrefix = "\x00"
	archivePrefix  = "\x00v"
	configKey      = "\x00cfg"
	// afterReserved is past every reserved key: listings of user keys
	// start after it.
	afterReserved = "\x00\x7f"
	nullVersion   = "null"

	maxVersionRetries = 8
)

// errWriteRace answers a streamed write into a versioned bucket that lost
// a commit race with another writer of the same key.
var errWriteRace = s3api.ErrServiceUnavailable.WithMessage("Another write to this key committed first; retry the request.")

// now is the service's clock.
func (s *Service) now() time.Time { return s.clock() }

// archiveKey is the backend key of a noncurrent version of key.
func archiveKey(key, suffix string) string {
	return archivePrefix + key + "\x00" + suffix
}

// splitArchiveKey is archiveKey's inverse.
func splitArchiveKey(bk string) (key, suffix string, ok bool) {
	rest, ok := strings.CutPrefix(bk, archivePrefix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, 0)
	if i < 0 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// UserKey tells what a backend key of a bucket holds: a user key (current
// version), a noncurrent version of userKey, or ("", false) the gateway's
// own configuration. Offline commands use it to verify records under the
// name they were signed for.
func UserKey(backendKey string) (userKey string, noncurrent, ok bool) {
	if !strings.HasPrefix(backendKey, reservedPrefix) {
		return backendKey, false, true
	}
	if k, _, ok := splitArchiveKey(backendKey); ok {
		return k, true, true
	}
	return "", false, false
}

// IsDeleteMarker reports a backend object that is a delete marker.
func IsDeleteMarker(m backend.Meta) bool { return m[mVersion] == metaMarker }

// timePrefix is the part of a version ID that orders it: newest first.
func timePrefix(t time.Time) string {
	return fmt.Sprintf("%016x", uint64(math.MaxInt64-t.UnixNano()))
}

// newVersionID draws a version ID for a version created at t.
func newVersionID(t time.Time) (string, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return timePrefix(t) + hex.EncodeToString(r[:]), nil
}

// validVersionID reports a version ID this gateway could have made.
func validVersionID(v string) bool {
	if v == nullVersion {
		return true
	}
	if len(v) != 32 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil && strings.ToLower(v) == v
}

// bucketConfig is what the gateway keeps about a bucket, in the metadata
// of its configuration object.
type bucketConfig struct {
	Versioning string      `json:"v,omitempty"`   // "", Enabled, Suspended
	Lock       *lockConfig `json:"l,omitempty"`   // Object Lock, when enabled
	Lifecycle  string      `json:"lc,omitempty"`  // lifecycle configuration, canonical XML (lifecycle.go)
	Tags       []s3api.Tag `json:"t,omitempty"`   // bucket tags (bucket_tagging.go)
	CORS       string      `json:"co,omitempty"`  // CORS configuration, canonical XML (cors.go)
	Policy     string      `json:"pol,omitempty"` // bucket policy, JSON as sent (bucket_policy.go)
	Ownership  string      `json:"own,omitempty"` // Object Ownership; "" is BucketOwnerEnforced (ownership.go)
}

const mConfig = "cfg"

// readConfigFresh returns bucket's configuration and the version of the
// object holding it ("" when there is none), read from the backend.
func (s *Service) readConfigFresh(ctx context.Context, bucket string) (bucketConfig, string, error) {
	var cfg bucketConfig
	st, err := s.be.Stat(ctx, bucket, configKey)
	if errors.Is(err, backend.ErrNoSuchKey) {
		return cfg, "", nil
	}
	if err != nil {
		return cfg, "", err
	}
	if err := json.Unmarshal([]byte(st.Meta[mConfig]), &cfg); err != nil {
		return cfg, "", fmt.Errorf("gateway: bucket %s: configuration does not decode: %w", bucket, err)
	}
	return cfg, st.Version, nil
}

// updateConfig applies change to bucket's configuration, atomically
// against other processes (compare-and-swap on the configuration object).
func (s *Service) updateConfig(ctx context.Context, bucket string, change func(*bucketConfig) error) error {
	if _, err := s.be.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	// The compare-and-swap needs the version on the volume now, never
	// one this request remembered; and whatever happens, this request
	// forgets the configuration it may have remembered.
	defer forgetConfig(ctx, bucket)
	for attempt := 0; ; attempt++ {
		cfg, ver, err := s.readConfigFresh(ctx, bucket)
		if err != nil {
			return err
		}
		if err := change(&cfg); err != nil {
			return err
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		cond := backend.Cond{IfAbsent: true}
		if ver != "" {
			cond = backend.Cond{IfVersion: ver}
		}
		w, err := s.be.NewObject(ctx, bucket, configKey, cond)
		if err != nil {
			return err
		}
		_, err = w.Commit(backend.Meta{mConfig: string(b)})
		w.Abort()
		if isCondFailure(err) && attempt < maxVersionRetries {
			continue
		}
		return err
	}
}

// GetBucketVersioning implements s3api.Versioning.
func (s *Service) GetBucketVersioning(ctx context.Context, bucket string) (string, error) {
	cfg, _, err := s.readConfig(ctx, bucket)
	if err != nil {
		return "", s.fail(op{"GetBucketVersioning", bucket, "", ctx}, err)
	}
	return cfg.Versioning, nil
}

// PutBucketVersioning implements s3api.Versioning. A bucket with Object
// Lock cannot be suspended, as in S3.
func (s *Service) PutBucketVersioning(ctx context.Context, bucket, status string) error {
	err := s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		if c.Lock != nil && status != s3api.VersioningEnabled {
			return s3api.ErrInvalidBucketState.WithMessage("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
		}
		c.Versioning = status
		return nil
	})
	return s.fail(op{"PutBucketVersioning", bucket, "", ctx}, err)
}

// deleteConfiguredBucket deletes a bucket whose only entry is its
// configuration (noncurrent versions count as objects, as in S3). If a
// write lands between the two steps, the bucket stays, and so does its
// configuration, written back.
func (s *Service) deleteConfiguredBucket(ctx context.Context, bucket string) error {
	page, err := s.be.List(ctx, bucket, backend.ListOptions{MaxKeys: 2})
	if err != nil {
		return err
	}
	if len(page.Objects) != 1 || page.Objects[0].Key != configKey || len(page.CommonPrefixes) > 0 {
		return backend.ErrBucketNotEmpty
	}
	cfgObj := page.Objects[0]
	defer forgetConfig(ctx, bucket)
	if err := s.be.Delete(ctx, bucket, configKey, backend.Cond{IfVersion: cfgObj.Version}); err != nil {
		return err
	}
	err = s.be.DeleteBucket(ctx, bucket)
	if errors.Is(err, backend.ErrBucketNotEmpty) {
		if w, werr := s.be.NewObject(ctx, bucket, configKey, backend.Cond{IfAbsent: true}); werr == nil {
			if _, cerr := w.Commit(cfgObj.Meta); cerr != nil {
				s.log.ErrorContext(ctx, "bucket configuration lost by a concurrent write during DeleteBucket", "bucket", bucket, "err", cerr)
			}
			w.Abort()
		}
	}
	return err
}

// notEmpty answers DeleteBucket of a bucket that still holds something:
// in one that has had versioning S3 adds that the versions count too.
func (s *Service) notEmpty(ctx context.Context, bucket string) error {
	if cfg, _, err := s.readConfig(ctx, bucket); err == nil && cfg.Versioning != "" {
		return s3api.ErrVersionedBucketNotEmpty
	}
	return s3api.ErrBucketNotEmpty
}
