package gateway

import (
	"context"
	"errors"
	"io"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// versionedWrite is what a write into a bucket must do for versioning:
// nothing (the zero value) in a bucket never versioned.
type versionedWrite struct {
	status   string       // the bucket's versioning state
	vid      string       // the new version's ID; "" for the null version
	cond     backend.Cond // the current object the commit must replace
	dropNull bool         // after the commit: remove a noncurrent null version
	cfg      bucketConfig
}

// conds adds the versioning condition to c.
func (vw *versionedWrite) conds(c backend.Cond) []backend.Cond {
	if vw.status == "" {
		return []backend.Cond{c}
	}
	return []backend.Cond{c, vw.cond}
}

// stamp records the new version's ID in the attributes to be signed.
func (vw *versionedWrite) stamp(attrs backend.Meta) {
	delete(attrs, mVersionID)
	if vw.vid != "" {
		attrs[mVersionID] = vw.vid
	}
}

// versionID is the ID S3 reports for the written version: none for the
// null version a suspended bucket writes (S3's PutObject, Copy and
// Complete then send no x-amz-version-id, though listings and reads call
// the version "null").
func (vw *versionedWrite) versionID() string {
	return vw.vid
}

// prepareWrite readies a write of bucket/key: in a versioned bucket it
// keeps the current version as a noncurrent one before anything is
// replaced.
func (s *Service) prepareWrite(ctx context.Context, bucket, key string) (versionedWrite, error) {
	cfg, _, err := s.readConfig(ctx, bucket)
	if err != nil || cfg.Versioning == "" {
		return versionedWrite{cfg: cfg}, err
	}
	vw := versionedWrite{status: cfg.Versioning, cfg: cfg}
	if cfg.Versioning == s3api.VersioningEnabled {
		if vw.vid, err = newVersionID(s.now()); err != nil {
			return vw, err
		}
	}
	return vw, s.keepCurrentRetry(ctx, bucket, key, &vw)
}

// keepCurrentRetry is keepCurrent, tried again while the current version
// is replaced while it is being kept (the copy's source moved, or other
// writers keep it at the same moment): whoever replaced it kept it
// first, so keeping the new current one is what is left to do. A write
// that lost its commit to another writer calls it with its own vw: a
// write with a version ID keeps even a null current version, which only
// a null write replaces in place.
func (s *Service) keepCurrentRetry(ctx context.Context, bucket, key string, vw *versionedWrite) error {
	for attempt := 0; ; attempt++ {
		err := s.keepCurrent(ctx, bucket, key, vw)
		if !errors.Is(err, errWriteRace) || attempt >= maxVersionRetries {
			return err
		}
	}
}

// keepCurrent sets vw's condition on the current version of bucket/key
// and keeps that version as a noncurrent one, unless the write replaces
// it in place (null onto null).
func (s *Service) keepCurrent(ctx context.Context, bucket, key string, vw *versionedWrite) error {
	cur, exists, err := s.statCurrent(ctx, bucket, key)
	if err != nil {
		return err
	}
	vw.dropNull = vw.vid == ""
	if !exists {
		vw.cond = backend.Cond{IfAbsent: true}
		return nil
	}
	vw.cond = backend.Cond{IfVersion: cur.bi.Version}
	if cur.vid == nullVersion && vw.vid == "" {
		// A null write replaces the null version in place.
		vw.dropNull = false
		return nil
	}
	return s.archive(ctx, bucket, key, cur)
}

// finishWrite does what is left after a committed null write: the null
// version it replaced may have been noncurrent.
func (s *Service) finishWrite(ctx context.Context, bucket, key string, vw *versionedWrite) {
	if !vw.dropNull {
		return
	}
	if sfx, ok, err := s.findNoncurrent(ctx, bucket, key, nullVersion); err == nil && ok {
		if err := s.be.Delete(ctx, bucket, archiveKey(key, sfx)); err != nil && !errors.Is(err, backend.ErrNoSuchKey) {
			s.log.WarnContext(ctx, "versioning: removing the replaced null version", "bucket", bucket, "key", key, "err", err)
		}
	}
}

// current is the current entry at a user key.
type current struct {
	bi     backend.ObjectInfo
	vid    string // "null" for the null version
	marker bool
	suffix string           // its noncurrent name's suffix
	info   s3api.ObjectInfo // an object's verified attributes (zero for a marker)
}

// describeEntry reads the version ID and suffix of a stored version of
// bucket/key (object or marker) from its metadata. An object's version
// ID comes from its verified record.
func (s *Service) describeEntry(bucket, key string, bi backend.ObjectInfo) (current, error) {
	c := current{bi: bi}
	if IsDeleteMarker(bi.Meta) {
		c.marker = true
		c.vid = bi.Meta[mMarker]
		if c.vid == nullVersion {
			c.suffix = timePrefix(markerTime(bi)) + nullVersion
		} else {
			c.suffix = c.vid
		}
		return c, nil
	}
	so, err := s.decodeObject(bucket, key, bi)
	if err != nil {
		return c, err
	}
	c.info = so.info
	if v := so.attrs[mVersionID]; v != "" {
		c.vid, c.suffix = v, v
	} else {
		c.vid = nullVersion
		c.suffix = timePrefix(so.info.LastModified) + nullVersion
	}
	return c, nil
}

// statCurrent describes the current entry of bucket/key.
func (s *Service) statCurrent(ctx context.Context, bucket, key string) (current, bool, error) {
	bi, err := s.be.Stat(ctx, bucket, key)
	if errors.Is(err, backend.ErrNoSuchKey) {
		return current{}, false, nil
	}
	if err != nil {
		return current{}, false, err
	}
	c, err := s.describeEntry(bucket, key, bi)
	return c, err == nil, err
}

// archive copies the current entry of bucket/key to its noncurrent name,
// bytes and metadata verbatim (the signed record stays valid: it names
// the user key). A copy that exists already is the same version, kept
// earlier or left by a promotion (versioning_promote.go) whose last step,
// in another process, may still remove it exactly at the version it
// listed: so it is replaced by a fresh copy, a new backend version that
// step's conditional delete cannot match.
func (s *Service) archive(ctx context.Context, bucket, key string, cur current) error {
	src := cur.bi
	src.Key = key
	to := archiveKey(key, cur.suffix)
	for attempt := 0; attempt < maxVersionRetries; attempt++ {
		err := s.copyEntryCond(ctx, bucket, src, to, backend.Cond{IfAbsent: true})
		if !isCondFailure(err) {
			return err
		}
		st, err := s.be.Stat(ctx, bucket, to)
		if errors.Is(err, backend.ErrNoSuchKey) {
			continue
		}
		if err != nil {
			return err
		}
		err = s.copyEntryCond(ctx, bucket, src, to, backend.Cond{IfVersion: st.Version})
		if !isCondFailure(err) {
			return err
		}
		// Another writer replaced the copy since it was looked at: a
		// copy made after that look is as fresh as this one would be.
		if again, err := s.be.Stat(ctx, bucket, to); err == nil && again.Version != st.Version {
			return nil
		}
	}
	return errWriteRace
}

// copyEntry copies the stored entry src (exactly its version) to
// bucket/to, create-only, with its metadata: shared by the backend
// (Backend.Copy: hard links, server-side copy) where it can, else
// streamed.
func (s *Service) copyEntry(ctx context.Context, bucket string, src backend.ObjectInfo, to string) error {
	err := s.copyEntryCond(ctx, bucket, src, to, backend.Cond{IfAbsent: true})
	if isCondFailure(err) {
		return nil
	}
	return err
}

// copyEntryCond is copyEntry onto an entry that must satisfy every cond:
// a failed condition is returned (isCondFailure), as is a source that
// changed or went since it was listed.
func (s *Service) copyEntryCond(ctx context.Context, bucket string, src backend.ObjectInfo, to string, cond ...backend.Cond) error {
	_, err := s.be.Copy(ctx, backend.CopySource{Bucket: bucket, Key: src.Key, Version: src.Version}, bucket, to, src.Meta.Clone(), cond...)
	switch {
	case err == nil, isCondFailure(err):
		return err
	case errors.Is(err, backend.ErrSourceChanged):
		return errVersionMoved
	case !errors.Is(err, backend.ErrCopyUnsupported):
		return err
	}
	return s.streamEntry(ctx, bucket, src.Key, to, src.Version, cond...)
}

// streamEntry copies backend object bucket/from, which must still be at
// version ver, to bucket/to under cond, through the gateway.
func (s *Service) streamEntry(ctx context.Context, bucket, from, to, ver string, cond ...backend.Cond) error {
	obj, err := s.be.Open(ctx, bucket, from)
	if err != nil {
		return err
	}
	defer obj.Close()
	bi := obj.Info()
	if bi.Version != ver {
		return errVersionMoved
	}
	w, err := s.be.NewObject(ctx, bucket, to, cond...)
	if err != nil {
		return err
	}
	defer w.Abort()
	bp := bufPool.Get().(*[]byte)
	_, err = io.CopyBuffer(w, io.NewSectionReader(obj, 0, bi.Size), *bp)
	bufPool.Put(bp)
	if err != nil {
		return err
	}
	_, err = w.Commit(bi.Meta.Clone())
	return err
}

// errVersionMoved: the current version changed while it was being kept;
// the write is refused like a lost race.
var errVersionMoved = errWriteRace

// writeFailed maps a failed versioned commit: a lost race is errWriteRace.
func (vw *versionedWrite) raced(err error) bool {
	return vw.status != "" && isCondFailure(err)
}

// openSource opens the source of a copy: its current version, or the one
// vid names (a delete marker cannot be copied: InvalidRequest, as S3).
func (s *Service) openSource(ctx context.Context, bucket, key, vid string) (backend.Object, *storedObject, error) {
	bk := key
	if vid != "" {
		var err error
		if bk, err = s.locateVersion(ctx, bucket, key, vid); err != nil {
			return nil, nil, err
		}
	}
	src, err := s.be.Open(ctx, bucket, bk)
	if err != nil {
		if vid != "" && errors.Is(err, backend.ErrNoSuchKey) {
			return nil, nil, s3api.ErrNoSuchVersion
		}
		return nil, nil, err
	}
	bi := src.Info()
	if vid != "" && IsDeleteMarker(bi.Meta) {
		src.Close()
		return nil, nil, s3api.ErrInvalidRequest.WithMessage("The source of a copy request may not specifically refer to a delete marker by version id.")
	}
	so, err := s.decodeObject(bucket, key, bi)
	if err == nil && vid != "" {
		err = checkVersionBinding(so, vid)
	}
	if err == nil && vid == "" {
		err = s.nameNullVersion(ctx, bucket, so)
	}
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return src, so, nil
}

// prepareCopy is prepareWrite for CopyObject's destination.
func (s *Service) prepareCopy(ctx context.Context, in *s3api.CopyObjectInput, self bool) (versionedWrite, error) {
	return s.prepareWrite(ctx, in.DstBucket, in.DstKey)
}
