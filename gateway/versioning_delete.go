package gateway

import (
	"context"
	"errors"
	"time"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// DeleteObjectVersion implements s3api.Versioning. Without a version ID
// it deletes as the bucket's state says: in a bucket never versioned the
// object goes; otherwise the current version is kept as noncurrent and a
// delete marker becomes current ("null" when suspended). With a version
// ID it removes that version for good, promoting the newest noncurrent
// version when it was the current one.
func (s *Service) DeleteObjectVersion(ctx context.Context, bucket, key, vid string, bypass bool, cond ...s3api.DeleteConditions) (s3api.DeleteOutput, error) {
	o := op{"DeleteObject", bucket, key, ctx}
	if vid != "" {
		return s.deleteVersion(ctx, o, vid, bypass)
	}
	cfg, _, err := s.readConfig(ctx, bucket)
	if err != nil {
		return s3api.DeleteOutput{}, s.fail(o, err)
	}
	if cfg.Versioning == "" {
		return s3api.DeleteOutput{}, s.DeleteObject(ctx, bucket, key, cond...)
	}
	for _, c := range cond {
		if c.Set() {
			return s3api.DeleteOutput{}, s3api.ErrNotImplemented.WithMessage("Conditional deletes are not supported in versioned buckets by this gateway.")
		}
	}
	for attempt := 0; ; attempt++ {
		out, err := s.putMarker(ctx, bucket, key, cfg.Versioning)
		if isCondFailure(err) && attempt < maxVersionRetries {
			continue
		}
		if isCondFailure(err) {
			return out, errWriteRace
		}
		return out, s.fail(o, err)
	}
}

// putMarker makes a delete marker the current version of bucket/key,
// keeping what was current as noncurrent.
func (s *Service) putMarker(ctx context.Context, bucket, key, status string) (s3api.DeleteOutput, error) {
	return s.putMarkerOver(ctx, bucket, key, status, "")
}

// putMarkerOver is putMarker that, when over is set, places the marker
// only on that backend version of the current entry (lifecycle expires
// the version it examined, never a newer write): else ErrPrecondition.
func (s *Service) putMarkerOver(ctx context.Context, bucket, key, status, over string) (s3api.DeleteOutput, error) {
	now := s.now()
	vid := nullVersion
	if status == s3api.VersioningEnabled {
		var err error
		if vid, err = newVersionID(now); err != nil {
			return s3api.DeleteOutput{}, err
		}
	}
	if _, err := s.be.HeadBucket(ctx, bucket); err != nil {
		return s3api.DeleteOutput{}, err
	}
	cur, exists, err := s.statCurrent(ctx, bucket, key)
	if err != nil {
		return s3api.DeleteOutput{}, err
	}
	if over != "" && (!exists || cur.bi.Version != over) {
		return s3api.DeleteOutput{}, backend.ErrPrecondition
	}
	c := backend.Cond{IfAbsent: true}
	dropNull := vid == nullVersion
	if exists {
		c = backend.Cond{IfVersion: cur.bi.Version}
		if cur.vid == nullVersion && vid == nullVersion {
			dropNull = false
		} else if err := s.archive(ctx, bucket, key, cur); err != nil {
			return s3api.DeleteOutput{}, err
		}
	}
	w, err := s.be.NewObject(ctx, bucket, key, c)
	if err != nil {
		return s3api.DeleteOutput{}, err
	}
	defer w.Abort()
	_, err = w.Commit(backend.Meta{mVersion: metaMarker, mMarker: vid, mMarkerTime: now.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return s3api.DeleteOutput{}, err
	}
	vw := versionedWrite{dropNull: dropNull}
	s.finishWrite(ctx, bucket, key, &vw)
	return s3api.DeleteOutput{VersionID: vid, DeleteMarker: true}, nil
}

// deleteVersion removes version vid of o's key for good.
func (s *Service) deleteVersion(ctx context.Context, o op, vid string, bypass bool) (s3api.DeleteOutput, error) {
	if !validVersionID(vid) {
		return s3api.DeleteOutput{}, s3api.ErrInvalidArgument.WithMessage("Invalid version id specified.")
	}
	for attempt := 0; ; attempt++ {
		out, err := s.deleteVersionOnce(ctx, o, vid, bypass)
		if isCondFailure(err) && attempt < maxVersionRetries {
			continue
		}
		if isCondFailure(err) {
			return out, errWriteRace
		}
		if errors.Is(err, backend.ErrNoSuchKey) {
			// Gone meanwhile: S3 deletes are idempotent.
			return s3api.DeleteOutput{VersionID: vid}, nil
		}
		return out, s.fail(o, err)
	}
}

func (s *Service) deleteVersionOnce(ctx context.Context, o op, vid string, bypass bool) (s3api.DeleteOutput, error) {
	bk, err := s.locateVersion(ctx, o.bucket, o.key, vid)
	if errors.Is(err, s3api.ErrNoSuchVersion) {
		return s3api.DeleteOutput{VersionID: vid}, nil
	}
	if err != nil {
		return s3api.DeleteOutput{}, err
	}
	bi, err := s.be.Stat(ctx, o.bucket, bk)
	if err != nil {
		return s3api.DeleteOutput{}, err
	}
	out := s3api.DeleteOutput{VersionID: vid, DeleteMarker: IsDeleteMarker(bi.Meta)}
	if !out.DeleteMarker {
		if err := s.checkDeletable(o.bucket, o.key, bi, bypass); err != nil {
			return out, err
		}
	}
	if bk == o.key {
		return out, s.replaceCurrent(ctx, o.bucket, o.key, vid, bi)
	}
	return out, s.be.Delete(ctx, o.bucket, bk, backend.Cond{IfVersion: bi.Version})
}
