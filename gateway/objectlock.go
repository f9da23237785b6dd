package gateway

import (
	"context"
	"errors"
	"time"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// # Object Lock
//
// A version's retention (mode and retain-until date) and legal hold are
// sealed attributes of its signed record (mLockMode, mLockUntil,
// mLegalHold), like its version ID: whoever can write the volume but not
// sign cannot shorten or lift them without the record failing
// verification. PutObjectRetention and PutObjectLegalHold re-sign the
// record (same version ID, same data) and replace it with SetMeta, guarded
// by the ModTime read, so a concurrent change makes them read again.
// Rewrap re-signs keeping every attribute, so the lock stays.
//
// The gateway never removes a protected version: DELETE with a version ID
// (and DeleteObjects) checks the lock first; a DELETE without one only
// adds a delete marker; an overwrite makes a new version. Lifecycle
// (lifecycle_versions.go) checks the same lock, never bypassing, before
// removing a version; fsck removes only records that do not
// decode (and so cannot show a lock); sweep removes only data no record
// names. The limit, said plainly: someone with write access to the
// volume can delete files; the signature cannot prevent that, the
// inventory log detects it.
//
// A bucket's configuration (versioning state, Object Lock default
// retention) is gateway metadata, not signed: a volume writer could drop
// a default retention, which affects only later writes.

const (
	mLockMode  = "lkm" // sealed: GOVERNANCE or COMPLIANCE
	mLockUntil = "lku" // sealed: retain-until date, RFC 3339
	mLegalHold = "lkh" // sealed: ON, or OFF once set so; absent: never set (no hold either)
)

// lockConfig is a bucket's Object Lock configuration: enabled, with an
// optional default retention applied to new object versions.
type lockConfig struct {
	Mode  string `json:"m,omitempty"` // GOVERNANCE or COMPLIANCE; "" for no default retention
	Days  int    `json:"d,omitempty"`
	Years int    `json:"y,omitempty"`
}

var errNoLockConfig = s3api.ErrInvalidRequest.WithMessage("Bucket is missing ObjectLockConfiguration")

// errNoLockConfigAPI is the same refusal as the retention and legal-hold
// calls word it (S3 spells it apart there).
var errNoLockConfigAPI = s3api.ErrInvalidRequest.WithMessage("Bucket is missing Object Lock Configuration")

// retentionOf reads a version's retention from its attributes.
func retentionOf(attrs backend.Meta) *s3api.Retention {
	m, u := attrs[mLockMode], attrs[mLockUntil]
	if m == "" || u == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, u)
	if err != nil {
		return nil
	}
	return &s3api.Retention{Mode: m, Until: t}
}

func setRetention(attrs backend.Meta, r *s3api.Retention) {
	delete(attrs, mLockMode)
	delete(attrs, mLockUntil)
	if r != nil {
		attrs[mLockMode] = r.Mode
		attrs[mLockUntil] = r.Until.UTC().Format(time.RFC3339Nano)
	}
}

func setLegalHold(attrs backend.Meta, status string) {
	delete(attrs, mLegalHold)
	if status == s3api.LegalHoldOn || status == s3api.LegalHoldOff {
		attrs[mLegalHold] = status
	}
}

// defaultRetention is the retention a bucket's default gives a version
// created at now.
func (c *lockConfig) defaultRetention(now time.Time) *s3api.Retention {
	if c == nil || c.Mode == "" {
		return nil
	}
	return &s3api.Retention{Mode: c.Mode, Until: now.AddDate(c.Years, 0, c.Days).UTC()}
}

// applyLock sets a new version's lock attributes: what the request asked
// for (already in attrs for a multipart upload, from lock for a PUT),
// else the bucket's default retention.
func (s *Service) applyLock(attrs backend.Meta, vw *versionedWrite, lock *s3api.ObjectLockWrite) error {
	lc := vw.cfg.Lock
	asked := lock != nil || attrs[mLockMode] != "" || attrs[mLegalHold] != ""
	if lc == nil {
		if asked {
			return errNoLockConfig
		}
		return nil
	}
	if lock != nil {
		if err := s.checkNewRetention(lock.Retention); err != nil {
			return err
		}
		setRetention(attrs, lock.Retention)
		setLegalHold(attrs, lock.LegalHold)
	}
	if attrs[mLockMode] == "" {
		setRetention(attrs, lc.defaultRetention(s.now()))
	}
	return nil
}

func (s *Service) checkNewRetention(r *s3api.Retention) error {
	if r != nil && !r.Until.After(s.now()) {
		return s3api.ErrInvalidArgument.WithMessage("The retain until date must be in the future!")
	}
	return nil
}

// lockForUpload records the lock a CreateMultipartUpload asks for in the
// upload's attributes; Complete carries them to the object.
func (s *Service) lockForUpload(ctx context.Context, bucket string, attrs backend.Meta, lock *s3api.ObjectLockWrite) error {
	if lock == nil {
		return nil
	}
	cfg, _, err := s.readConfig(ctx, bucket)
	if err != nil {
		return s.fail(op{"CreateMultipartUpload", bucket, "", ctx}, err)
	}
	if cfg.Lock == nil {
		return errNoLockConfig
	}
	if err := s.checkNewRetention(lock.Retention); err != nil {
		return err
	}
	setRetention(attrs, lock.Retention)
	setLegalHold(attrs, lock.LegalHold)
	return nil
}

// lockedError says why a version may not be removed now, or nil.
func (s *Service) lockedError(attrs backend.Meta, bypass bool) error {
	return lockedAt(attrs, bypass, s.now())
}

// lockedAt says why a version may not be removed at now, or nil.
func lockedAt(attrs backend.Meta, bypass bool, now time.Time) error {
	if attrs[mLegalHold] == s3api.LegalHoldOn {
		return s3api.ErrObjectLocked
	}
	r := retentionOf(attrs)
	if r == nil || !r.Until.After(now) {
		return nil
	}
	if r.Mode == s3api.LockGovernance && bypass {
		return nil
	}
	return s3api.ErrObjectLocked
}

// checkDeletable refuses to remove a stored object version that Object
// Lock protects. bypass is an authorized x-amz-bypass-governance-retention.
// A version whose record does not verify cannot prove it is unlocked and
// is not removed either.
func (s *Service) checkDeletable(bucket, key string, bi backend.ObjectInfo, bypass bool) error {
	so, err := s.decodeObject(bucket, key, bi)
	if err != nil {
		return err
	}
	return s.lockedError(so.attrs, bypass)
}

// EnableObjectLock implements s3api.ObjectLock.
func (s *Service) EnableObjectLock(ctx context.Context, bucket string) error {
	err := s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.Versioning = s3api.VersioningEnabled
		if c.Lock == nil {
			c.Lock = &lockConfig{}
		}
		return nil
	})
	return s.fail(op{"CreateBucket", bucket, "", ctx}, err)
}

// GetObjectLockConfiguration implements s3api.ObjectLock.
func (s *Service) GetObjectLockConfiguration(ctx context.Context, bucket string) (*s3api.LockConfiguration, error) {
	cfg, err := s.existingConfig(ctx, bucket)
	if err != nil {
		return nil, s.fail(op{"GetObjectLockConfiguration", bucket, "", ctx}, err)
	}
	if cfg.Lock == nil {
		return nil, s3api.ErrObjectLockConfigurationNotFound
	}
	return &s3api.LockConfiguration{Mode: cfg.Lock.Mode, Days: cfg.Lock.Days, Years: cfg.Lock.Years}, nil
}

// PutObjectLockConfiguration implements s3api.ObjectLock. As in S3, it
// enables Object Lock on a bucket with versioning enabled, or changes the
// default retention of a bucket that has it; it does not touch stored
// versions.
func (s *Service) PutObjectLockConfiguration(ctx context.Context, bucket string, lc *s3api.LockConfiguration) error {
	err := s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		if c.Lock == nil && c.Versioning != s3api.VersioningEnabled {
			return s3api.ErrInvalidBucketState.WithMessage("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
		}
		c.Lock = &lockConfig{Mode: lc.Mode, Days: lc.Days, Years: lc.Years}
		return nil
	})
	return s.fail(op{"PutObjectLockConfiguration", bucket, "", ctx}, err)
}

// lockTarget opens the version a retention or legal hold request names.
func (s *Service) lockTarget(ctx context.Context, o op, vid string) (string, backend.ObjectInfo, *storedObject, error) {
	bk := o.key
	if vid != "" {
		var err error
		if bk, err = s.locateVersion(ctx, o.bucket, o.key, vid); err != nil {
			return "", backend.ObjectInfo{}, nil, s.fail(o, err)
		}
	}
	bi, err := s.be.Stat(ctx, o.bucket, bk)
	if err != nil {
		if vid != "" && errors.Is(err, backend.ErrNoSuchKey) {
			err = s3api.ErrNoSuchVersion
		}
		return "", bi, nil, s.fail(o, err)
	}
	if IsDeleteMarker(bi.Meta) {
		return "", bi, nil, s3api.ErrMethodNotAllowed
	}
	so, err := s.decodeObject(o.bucket, o.key, bi)
	if err == nil && vid != "" {
		err = checkVersionBinding(so, vid)
	}
	if err != nil {
		return "", bi, nil, s.fail(o, err)
	}
	return bk, bi, so, nil
}

// GetObjectRetention implements s3api.ObjectLock.
func (s *Service) GetObjectRetention(ctx context.Context, bucket, key, vid string) (*s3api.Retention, error) {
	o := op{"GetObjectRetention", bucket, key, ctx}
	// The version is looked up first: a key that does not exist is
	// NoSuchKey even in a bucket without Object Lock, as S3 answers.
	_, _, so, err := s.lockTarget(ctx, o, vid)
	if err != nil {
		return nil, err
	}
	if err := s.needLock(ctx, o); err != nil {
		return nil, err
	}
	r := retentionOf(so.attrs)
	if r == nil {
		return nil, s3api.ErrNoSuchObjectLockConfiguration
	}
	return r, nil
}

// GetObjectLegalHold implements s3api.ObjectLock.
func (s *Service) GetObjectLegalHold(ctx context.Context, bucket, key, vid string) (string, error) {
	o := op{"GetObjectLegalHold", bucket, key, ctx}
	// The version is looked up first: a key that does not exist is
	// NoSuchKey even in a bucket without Object Lock, as S3 answers.
	_, _, so, err := s.lockTarget(ctx, o, vid)
	if err != nil {
		return "", err
	}
	if err := s.needLock(ctx, o); err != nil {
		return "", err
	}
	switch h := so.attrs[mLegalHold]; h {
	case s3api.LegalHoldOn, s3api.LegalHoldOff:
		return h, nil
	}
	// A version that never had a legal hold has none to show, as S3
	// answers (HEAD sends no x-amz-object-lock-legal-hold for it).
	return "", s3api.ErrNoSuchObjectLockConfiguration
}

// needLock refuses lock requests on a bucket without Object Lock.
func (s *Service) needLock(ctx context.Context, o op) error {
	cfg, _, err := s.readConfig(ctx, o.bucket)
	if err != nil {
		return s.fail(o, err)
	}
	if cfg.Lock == nil {
		if _, err := s.be.HeadBucket(ctx, o.bucket); err != nil {
			return s.fail(o, err)
		}
		return errNoLockConfigAPI
	}
	return nil
}

// PutObjectRetention implements s3api.ObjectLock. COMPLIANCE retention
// can only be extended, by anyone; GOVERNANCE can be shortened, removed
// or changed only with bypass.
func (s *Service) PutObjectRetention(ctx context.Context, bucket, key, vid string, r *s3api.Retention, bypass bool) (string, error) {
	o := op{"PutObjectRetention", bucket, key, ctx}
	if err := s.needLock(ctx, o); err != nil {
		return "", err
	}
	if err := s.checkNewRetention(r); err != nil {
		return "", err
	}
	return s.relock(ctx, o, vid, func(attrs backend.Meta) error {
		old := retentionOf(attrs)
		if old != nil && old.Until.After(s.now()) {
			// Only extending in the same mode is free: any other change
			// of a GOVERNANCE lock, even to COMPLIANCE, alters its
			// settings and needs the bypass, as S3 answers.
			stronger := r != nil && !r.Until.Before(old.Until) && r.Mode == old.Mode
			if !stronger && (old.Mode == s3api.LockCompliance || !bypass) {
				return s3api.ErrObjectLocked
			}
		}
		setRetention(attrs, r)
		return nil
	})
}

// PutObjectLegalHold implements s3api.ObjectLock.
func (s *Service) PutObjectLegalHold(ctx context.Context, bucket, key, vid, status string) (string, error) {
	o := op{"PutObjectLegalHold", bucket, key, ctx}
	if err := s.needLock(ctx, o); err != nil {
		return "", err
	}
	return s.relock(ctx, o, vid, func(attrs backend.Meta) error {
		setLegalHold(attrs, status)
		return nil
	})
}

// relock re-signs a version's record with its lock attributes changed,
// guarded by the ModTime read (retried on a concurrent change).
func (s *Service) relock(ctx context.Context, o op, vid string, change func(backend.Meta) error) (string, error) {
	for attempt := 0; ; attempt++ {
		bk, bi, so, err := s.lockTarget(ctx, o, vid)
		if err != nil {
			return "", err
		}
		if so.rec == nil {
			return "", s3api.ErrInvalidRequest.WithMessage("The object is in format v1, which cannot carry Object Lock.")
		}
		attrs := so.attrs.Clone()
		if err := change(attrs); err != nil {
			return "", err
		}
		if _, ok := attrs[mLastModified]; !ok {
			attrs[mLastModified] = bi.ModTime.UTC().Format(time.RFC3339Nano)
		}
		meta, err := s.resign(o.bucket, o.key, so, attrs)
		if err != nil {
			return "", s.fail(o, err)
		}
		_, err = s.be.SetMeta(ctx, o.bucket, bk, meta, bi.ModTime)
		if errors.Is(err, backend.ErrPrecondition) && attempt < maxVersionRetries {
			continue
		}
		if err != nil {
			return "", s.fail(o, err)
		}
		return cmpVersion(so.info.VersionID), nil
	}
}

// cmpVersion is the version ID S3 reports for a version in a versioned
// bucket.
func cmpVersion(v string) string {
	if v == "" {
		return nullVersion
	}
	return v
}
