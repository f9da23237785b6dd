package gateway

import (
	"context"
	"errors"
	"time"

	"envelopegw/backend"
	"envelopegw/lifecycle"
)

// # Applying lifecycle rules
//
// The janitor (RunJanitor) applies every bucket's configuration on each
// pass, as of the time it is given (ApplyLifecycle takes now, so tests run
// it on a fake clock). A pass re-scans each bucket from the start and
// decides from what it lists, so it keeps no cursor: a restarted gateway,
// or a pass cut short, simply does the rest on the next pass, and
// whatever was already removed is not there to remove twice.
//
// Several gateway processes may run passes at once. Each removal is
// conditional: an object is deleted only if its version is still the one
// listed (backend.Cond IfVersion), so an object rewritten after a janitor
// examined it is not deleted, and a second janitor's delete of an object
// the first removed fails harmlessly; an upload abort of an upload already
// gone is not an error. Duplicated listing work is the only cost, so no
// lease is taken.
//
// Versioned buckets (and so every bucket with Object Lock) are expired as
// S3 does (lifecycle_versions.go): delete markers and noncurrent versions,
// never a plain delete, and never a version Object Lock protects.
// AbortIncompleteMultipartUpload applies to every bucket: an upload holds
// no version and no lock.

// LifecycleCounts is what a lifecycle pass did.
type LifecycleCounts struct {
	Expired int // objects deleted by Expiration
	Aborted int // uploads aborted by AbortIncompleteMultipartUpload
	Raced   int // due objects rewritten or removed by others meanwhile, left alone
	Locked  int // due versions Object Lock protects, left alone
}

// ApplyLifecycle applies every bucket's lifecycle configuration as of now.
// It continues past errors in one bucket and returns the first.
func (s *Service) ApplyLifecycle(ctx context.Context, now time.Time) (LifecycleCounts, error) {
	var total LifecycleCounts
	buckets, err := s.be.ListBuckets(ctx)
	if err != nil {
		return total, err
	}
	var first error
	for _, b := range buckets {
		c, err := s.applyBucketLifecycle(ctx, b.Name, now)
		total.Expired += c.Expired
		total.Aborted += c.Aborted
		total.Raced += c.Raced
		total.Locked += c.Locked
		if c != (LifecycleCounts{}) {
			s.log.InfoContext(ctx, "lifecycle: applied", "bucket", b.Name, "expired", c.Expired, "aborted_uploads", c.Aborted, "raced", c.Raced, "locked", c.Locked)
		}
		if s.lcDone != nil {
			s.lcDone(c.Expired, c.Aborted, c.Raced, c.Locked)
		}
		if err != nil && !errors.Is(err, backend.ErrNoSuchBucket) && first == nil {
			first = err
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
	return total, first
}

func (s *Service) applyBucketLifecycle(ctx context.Context, bucket string, now time.Time) (LifecycleCounts, error) {
	var c LifecycleCounts
	bc, _, err := s.readConfig(ctx, bucket)
	if err != nil {
		return c, err
	}
	cfg, err := parseStoredLifecycle(bucket, bc)
	if err != nil || cfg == nil {
		return c, err
	}
	if cfg.HasUploadRules() {
		if err := s.abortDueUploads(ctx, bucket, cfg, now, &c); err != nil {
			return c, err
		}
	}
	if bc.Versioning != "" || bc.Lock != nil {
		return c, s.expireVersions(ctx, bucket, bc.Versioning, cfg, now, &c)
	}
	return c, s.expireDueObjects(ctx, bucket, cfg, now, &c)
}

// expireDueObjects deletes the due objects of an unversioned bucket, each
// only if it is still the version listed.
func (s *Service) expireDueObjects(ctx context.Context, bucket string, cfg *lifecycle.Configuration, now time.Time, c *LifecycleCounts) error {
	after := afterReserved
	for {
		page, err := s.be.List(ctx, bucket, backend.ListOptions{After: after, MaxKeys: 1000})
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			rule, due := cfg.ObjectDue(o.Key, o.ModTime, now)
			if !due {
				continue
			}
			if s.lifecycleExamined != nil {
				s.lifecycleExamined(bucket, o.Key)
			}
			err := s.be.Delete(ctx, bucket, o.Key, backend.Cond{IfVersion: o.Version})
			switch {
			case err == nil:
				c.Expired++
				s.log.DebugContext(ctx, "lifecycle: expired", "bucket", bucket, "key", o.Key, "rule", rule)
			case errors.Is(err, backend.ErrPrecondition), errors.Is(err, backend.ErrNoSuchKey):
				c.Raced++
			default:
				return err
			}
		}
		if !page.IsTruncated || ctx.Err() != nil {
			return ctx.Err()
		}
		after = page.NextAfter
	}
}

// abortDueUploads aborts the uploads an AbortIncompleteMultipartUpload
// rule makes due.
func (s *Service) abortDueUploads(ctx context.Context, bucket string, cfg *lifecycle.Configuration, now time.Time, c *LifecycleCounts) error {
	opts := backend.UploadListOptions{}
	for {
		page, err := s.be.ListUploads(ctx, bucket, opts)
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			if _, due := cfg.UploadDue(u.Key, u.Initiated, now); !due {
				continue
			}
			err := s.be.AbortUpload(ctx, bucket, u.Key, u.UploadID)
			switch {
			case err == nil:
				c.Aborted++
			case errors.Is(err, backend.ErrNoSuchUpload):
			default:
				return err
			}
		}
		if !page.IsTruncated || ctx.Err() != nil {
			return ctx.Err()
		}
		opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}
