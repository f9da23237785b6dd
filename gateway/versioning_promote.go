package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"envelopegw/backend"
)

// # Deleting the current version
//
// DELETE by versionId of the current version vid (backend version cur)
// must never leave the key without its newest remaining version as
// current, for a concurrent reader nor after a crash at any point. So the
// newest noncurrent version N is promoted by one atomic conditional
// replace of the current entry: N's stored entry is copied (bytes shared,
// metadata verbatim: its signed record names the user key, not the
// archive name, so it verifies there unchanged and keeps its version ID,
// retention and legal hold) onto the user key under Cond{IfVersion: cur}.
// Only then does N's noncurrent name go. Steps, each safe to stop after:
//
//  1. remove stale noncurrent copies of vid itself (left by an earlier
//     promotion that stopped before its last step): vid is current, so
//     nothing visible changes;
//  2. replace the current entry by N (or, with no N, delete it), both
//     conditional on cur: a concurrent write wins and the delete retries;
//  3. remove N's noncurrent name.
//
// Between 2 and 3 (or for ever, after a crash) N exists both as current
// and as noncurrent. Readers dedupe by version ID, the current one
// winning: GET/HEAD by versionId look at the current entry first
// (locateVersion), ListObjectVersions and lifecycle skip a noncurrent
// entry of the version that is current. The duplicate is cleaned by the
// next write of the key (archiving N finds its noncurrent copy already
// there, the same bytes and record, and keeps it: it is then simply
// right) or by the next DELETE of N by versionId (step 1).

// replaceCurrent removes the current version vid (backend entry cur) of
// bucket/key, promoting the newest other noncurrent version.
func (s *Service) replaceCurrent(ctx context.Context, bucket, key, vid string, cur backend.ObjectInfo) error {
	prefix := archivePrefix + key + "\x00"
	var next *backend.ObjectInfo
	after := ""
	for next == nil {
		page, err := s.be.List(ctx, bucket, backend.ListOptions{Prefix: prefix, After: after, MaxKeys: 4})
		if err != nil {
			return err
		}
		for i := range page.Objects {
			o := page.Objects[i]
			if !sameVersionSuffix(strings.TrimPrefix(o.Key, prefix), vid) {
				next = &o
				break
			}
			// Step 1: a stale noncurrent copy of the version deleted.
			if err := s.be.Delete(ctx, bucket, o.Key, backend.Cond{IfVersion: o.Version}); err != nil && !errors.Is(err, backend.ErrNoSuchKey) {
				return err
			}
		}
		if !page.IsTruncated {
			break
		}
		after = page.NextAfter
	}
	if next == nil {
		return s.be.Delete(ctx, bucket, key, backend.Cond{IfVersion: cur.Version})
	}
	// Step 2: one atomic replace of the current entry.
	err := s.copyEntryCond(ctx, bucket, *next, key, backend.Cond{IfVersion: cur.Version})
	if errors.Is(err, errVersionMoved) || errors.Is(err, backend.ErrNoSuchKey) {
		// N changed or went since listed: deleteVersion starts over.
		return fmt.Errorf("gateway: promoting %s of %s/%s: %w", next.Key[len(prefix):], bucket, key, backend.ErrPrecondition)
	}
	if err != nil {
		return err
	}
	if s.promoteCopied != nil {
		if err := s.promoteCopied(); err != nil {
			return err
		}
	}
	// Step 3.
	if err := s.be.Delete(ctx, bucket, next.Key, backend.Cond{IfVersion: next.Version}); err != nil && !errors.Is(err, backend.ErrNoSuchKey) && !isCondFailure(err) {
		s.log.WarnContext(ctx, "versioning: removing a promoted version's noncurrent name", "bucket", bucket, "key", key, "err", err)
	}
	return nil
}

// sameVersionSuffix reports a noncurrent name's suffix that holds version
// vid (the null version's suffix is a time prefix and "null").
func sameVersionSuffix(sfx, vid string) bool {
	return sfx == vid || vid == nullVersion && strings.HasSuffix(sfx, nullVersion)
}
