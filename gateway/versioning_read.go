package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
)

// markerError is what reading a current delete marker answers: 404 with
// x-amz-delete-marker, as S3.
func markerError(bi backend.ObjectInfo) error {
	return &s3api.DeleteMarkerError{Err: s3api.ErrNoSuchKey, VersionID: bi.Meta[mMarker]}
}

// GetObjectVersion implements s3api.Versioning: it opens the version of
// bucket/key that vid names and holds its record to that version.
func (s *Service) GetObjectVersion(ctx context.Context, bucket, key, vid string) (s3api.ObjectReader, error) {
	o := op{"GetObject", bucket, key, ctx}
	bk, err := s.locateVersion(ctx, bucket, key, vid)
	if err != nil {
		return nil, s.fail(o, err)
	}
	obj, err := s.be.Open(ctx, bucket, bk)
	if errors.Is(err, backend.ErrNoSuchKey) {
		return nil, s3api.ErrNoSuchVersion // deleted or moved since located
	}
	if err != nil {
		return nil, s.fail(o, err)
	}
	bi := obj.Info()
	if IsDeleteMarker(bi.Meta) {
		obj.Close()
		return nil, &s3api.DeleteMarkerError{Err: s3api.ErrMethodNotAllowed, VersionID: vid, LastModified: markerTime(bi).UTC().Format(http.TimeFormat)}
	}
	so, err := s.decodeObject(bucket, key, bi)
	if err == nil {
		err = checkVersionBinding(so, vid)
	}
	if err != nil {
		obj.Close()
		return nil, s.fail(o, err)
	}
	if so.info.VersionID == "" {
		so.info.VersionID = nullVersion
	}
	return &objectReader{s: s, o: o, obj: obj, so: so}, nil
}

// checkVersionBinding holds a verified record to the version it was read
// as: a record stored under another version's name fails.
func checkVersionBinding(so *storedObject, vid string) error {
	got := so.attrs[mVersionID]
	if vid == nullVersion && got == "" || got == vid {
		return nil
	}
	return fmt.Errorf("%w: the record of version %q is stored as version %q", envelope.ErrAuth, got, vid)
}

// locateVersion returns the backend key holding version vid of
// bucket/key: the user key when it is the current version, else its
// noncurrent name. s3api.ErrNoSuchVersion when there is none.
func (s *Service) locateVersion(ctx context.Context, bucket, key, vid string) (string, error) {
	if !validVersionID(vid) {
		return "", s3api.ErrInvalidArgument.WithMessage("Invalid version id specified")
	}
	cur, exists, err := s.statCurrent(ctx, bucket, key)
	if err != nil && !errors.Is(err, envelope.ErrAuth) && !errors.Is(err, envelope.ErrSignature) {
		return "", err
	}
	if exists && cur.vid == vid {
		return key, nil
	}
	if vid != nullVersion {
		if _, err := s.be.Stat(ctx, bucket, archiveKey(key, vid)); err != nil {
			if errors.Is(err, backend.ErrNoSuchKey) {
				return "", s.noSuchVersion(ctx, bucket)
			}
			return "", err
		}
		return archiveKey(key, vid), nil
	}
	sfx, ok, err := s.findNoncurrent(ctx, bucket, key, nullVersion)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", s.noSuchVersion(ctx, bucket)
	}
	return archiveKey(key, sfx), nil
}

// noSuchVersion is NoSuchVersion, or NoSuchBucket when that is why.
func (s *Service) noSuchVersion(ctx context.Context, bucket string) error {
	if _, err := s.be.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	return s3api.ErrNoSuchVersion
}

// findNoncurrent finds the suffix of a noncurrent version of bucket/key by
// its ID (for "null", the one suffix ending in it) by listing the key's
// noncurrent versions.
func (s *Service) findNoncurrent(ctx context.Context, bucket, key, vid string) (string, bool, error) {
	prefix := archivePrefix + key + "\x00"
	after := ""
	for {
		page, err := s.be.List(ctx, bucket, backend.ListOptions{Prefix: prefix, After: after, MaxKeys: 1000})
		if err != nil {
			return "", false, err
		}
		for _, o := range page.Objects {
			sfx := strings.TrimPrefix(o.Key, prefix)
			if sfx == vid || vid == nullVersion && strings.HasSuffix(sfx, nullVersion) {
				return sfx, true, nil
			}
		}
		if !page.IsTruncated {
			return "", false, nil
		}
		after = page.NextAfter
	}
}

// markerTime is a delete marker's creation time.
func markerTime(bi backend.ObjectInfo) (t time.Time) {
	if v := bi.Meta[mMarkerTime]; v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	return bi.ModTime
}

// nameNullVersion gives an object stored without a version ID its S3 name
// "null" when bucket has versioning (enabled or suspended): S3 names the
// version on GET, HEAD and as a copy source then, and only then. It costs
// one read of the bucket configuration, and only for such objects.
func (s *Service) nameNullVersion(ctx context.Context, bucket string, so *storedObject) error {
	if so.info.VersionID != "" {
		return nil
	}
	cfg, _, err := s.readConfig(ctx, bucket)
	if err != nil {
		return err
	}
	if cfg.Versioning != "" {
		so.info.VersionID = nullVersion
	}
	return nil
}
