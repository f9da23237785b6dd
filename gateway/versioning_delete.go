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
//
// Conditions (If-Match, x-amz-if-match-last-modified-time,
// x-amz-if-match-size) are evaluated, as S3 does, against the current
// version only, atomically with placing the marker: a current delete
// marker counts as no object. With a version ID they are refused (501)
// rather than ignored, since S3 defines them for the current version.
func (s *Service) DeleteObjectVersion(ctx context.Context, bucket, key, vid string, bypass bool, cond ...s3api.DeleteConditions) (s3api.DeleteOutput, error) {
	o := op{"DeleteObject", bucket, key, ctx}
	if vid != "" {
		if condSet(cond) {
			return s3api.DeleteOutput{}, errVersionCond
		}
		return s.deleteVersion(ctx, o, vid, bypass)
	}
	cfg, _, err := s.readConfig(ctx, bucket)
	if err != nil {
		return s3api.DeleteOutput{}, s.fail(o, err)
	}
	if cfg.Versioning == "" {
		return s3api.DeleteOutput{}, s.DeleteObject(ctx, bucket, key, cond...)
	}
	for attempt := 0; ; attempt++ {
		out, err := s.putMarkerIf(ctx, bucket, key, cfg.Versioning, "", cond)
		if isCondFailure(err) && attempt < maxVersionRetries {
			continue
		}
		if isCondFailure(err) {
			return out, errWriteRace
		}
		return out, s.fail(o, err)
	}
}

// errVersionCond refuses conditions on a delete of a named version.
var errVersionCond = s3api.ErrNotImplemented.WithMessage("Conditional deletes (If-Match, x-amz-if-match-last-modified-time, x-amz-if-match-size) apply to the current version; they are not implemented with versionId.")

func condSet(cond []s3api.DeleteConditions) bool {
	for _, c := range cond {
		if c.Set() {
			return true
		}
	}
	return false
}

// putMarkerOver makes a delete marker the current version of bucket/key,
// keeping what was current as noncurrent. When over is set, it places the
// marker only on that backend version of the current entry (lifecycle
// expires the version it examined, never a newer write): else
// ErrPrecondition.
func (s *Service) putMarkerOver(ctx context.Context, bucket, key, status, over string) (s3api.DeleteOutput, error) {
	return s.putMarkerIf(ctx, bucket, key, status, over, nil)
}

// checkCurrent evaluates delete conditions against the current entry; a
// delete marker or no entry is no object. A missing object fails only
// If-Match (404 NoSuchKey); other conditions let the delete go on, as
// they would answer 204 for it.
func checkCurrent(cond []s3api.DeleteConditions, cur current, exists bool) error {
	var info *s3api.ObjectInfo
	if exists && !cur.marker {
		info = &cur.info
	}
	for _, c := range cond {
		if !c.Set() {
			continue
		}
		err := c.Check(info)
		if errors.Is(err, s3api.ErrNoSuchKey) && !c.Answers404() {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// putMarkerIf is putMarkerOver under delete conditions, evaluated against
// the entry the marker's conditional commit replaces, so a concurrent
// write either lands first and is judged or makes the commit fail and the
// caller retry.
func (s *Service) putMarkerIf(ctx context.Context, bucket, key, status, over string, cond []s3api.DeleteConditions) (s3api.DeleteOutput, error) {
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
	if err := checkCurrent(cond, cur, exists); err != nil {
		return s3api.DeleteOutput{}, err
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
		return s3api.DeleteOutput{}, s3api.ErrInvalidArgument.WithMessage("Invalid version id specified")
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
