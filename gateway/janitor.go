package gateway

import (
	"context"
	"errors"
	"time"

	"envelopegw/backend"
)

// RunJanitor aborts multipart uploads older than Config.UploadMaxAge and
// applies the buckets' lifecycle rules (lifecycle_janitor.go), once at
// start and then every interval, until ctx is done. Several processes
// sharing a volume may each run one: aborting an upload or deleting an
// object another janitor already removed is not an error.
func (s *Service) RunJanitor(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.ApplyLifecycle(ctx, time.Now()); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "janitor: applying lifecycle rules", "err", err)
		}
		if s.maxAge < 0 {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				continue
			}
		}
		n, err := s.SweepUploads(ctx, time.Now())
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "janitor: sweeping old uploads", "err", err)
		}
		if s.janitorDone != nil {
			s.janitorDone(n, err)
		}
		if n > 0 {
			s.log.InfoContext(ctx, "janitor: aborted old multipart uploads", "count", n, "max_age", s.maxAge)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepUploads aborts every upload initiated before now minus the maximum
// age and reports how many it aborted. It continues past errors on single
// uploads and returns the first.
func (s *Service) SweepUploads(ctx context.Context, now time.Time) (int, error) {
	if s.maxAge < 0 {
		return 0, nil
	}
	cutoff := now.Add(-s.maxAge)
	buckets, err := s.be.ListBuckets(ctx)
	if err != nil {
		return 0, err
	}
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	n := 0
	for _, b := range buckets {
		opts := backend.UploadListOptions{}
		for {
			page, err := s.be.ListUploads(ctx, b.Name, opts)
			if err != nil {
				if !errors.Is(err, backend.ErrNoSuchBucket) {
					keep(err)
				}
				break
			}
			for _, u := range page.Uploads {
				if !u.Initiated.Before(cutoff) {
					continue
				}
				err := s.be.AbortUpload(ctx, b.Name, u.Key, u.UploadID)
				switch {
				case err == nil:
					n++
				case errors.Is(err, backend.ErrNoSuchUpload):
				default:
					keep(err)
				}
			}
			if !page.IsTruncated {
				break
			}
			opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
	return n, first
}
