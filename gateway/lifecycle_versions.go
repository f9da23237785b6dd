package gateway

import (
	"context"
	"errors"
	"strconv"
	"time"

	"envelopegw/backend"
	"envelopegw/lifecycle"
	"envelopegw/s3api"
)

// # Lifecycle in versioned buckets
//
// A pass walks the bucket key by key, merging the current entries and the
// noncurrent ones as ListObjectVersions does (verStream), and applies, as
// S3 does:
//
//   - Expiration (Days, Date) to the current version when it is an
//     object: a delete marker is placed on top of it by the very path of
//     a DELETE without versionId (putMarker), so the object stays as a
//     noncurrent version (in a Suspended bucket a null current version is
//     replaced by the null marker, as S3 does).
//   - NoncurrentVersionExpiration: a noncurrent version became noncurrent
//     when its successor (the next newer version) was created; it is
//     removed NoncurrentDays after that, unless it is one of the
//     NewerNoncurrentVersions newest noncurrent versions.
//   - ExpiredObjectDeleteMarker: a current delete marker with no other
//     version of its key left is removed.
//
// Creation times come from what is signed or named: a version ID starts
// with its version's creation time (timePrefix), and so does a noncurrent
// version's name; a null version's is its Last-Modified, a marker's is in
// its metadata.
//
// Never against a lock: before a version is removed its record is
// verified and its retention and legal hold checked at the pass's time
// (lockedAt, the check DELETE by versionId makes), never bypassing
// governance; a protected or unverifiable version is skipped, logged and
// counted, and a later pass removes it once its retention has passed.
// Every removal is conditional on the version listed (backend.Cond
// IfVersion), so concurrent gateways and writers are safe as in the
// unversioned pass, and a pass keeps no state: the next one re-scans.

// expireVersions applies cfg to the versions of a versioned bucket.
func (s *Service) expireVersions(ctx context.Context, bucket, status string, cfg *lifecycle.Configuration, now time.Time, c *LifecycleCounts) error {
	cur := &verStream{s: s, ctx: ctx, bucket: bucket, opts: backend.ListOptions{After: afterReserved, MaxKeys: 1000}}
	arch := &verStream{s: s, ctx: ctx, bucket: bucket, archive: true, opts: backend.ListOptions{Prefix: archivePrefix, MaxKeys: 1000}}
	var group []*verItem
	for {
		it, err := nextVersion(cur, arch)
		if err != nil {
			return err
		}
		if len(group) > 0 && (it == nil || it.key != group[0].key) {
			if err := s.expireKey(ctx, bucket, status, cfg, now, group, c); err != nil {
				return err
			}
			group = group[:0]
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if it == nil {
			return nil
		}
		group = append(group, it)
	}
}

// expireKey applies cfg to the versions of one key: the current entry
// (if any) first, then the noncurrent ones newest first.
func (s *Service) expireKey(ctx context.Context, bucket, status string, cfg *lifecycle.Configuration, now time.Time, vs []*verItem, c *LifecycleCounts) error {
	key := vs[0].key
	var curItem *verItem
	if vs[0].current {
		curItem, vs = vs[0], withoutCurrent(vs[0], vs[1:])
	}
	var successor time.Time // creation time of the next newer version
	if curItem != nil {
		marker := IsDeleteMarker(curItem.bi.Meta)
		if marker {
			successor = markerTime(curItem.bi)
		} else {
			successor = objectCreated(s.listInfo(bucket, curItem.bi))
			if rule, due := cfg.ObjectDue(key, successor, now); due {
				if err := s.expireCurrent(ctx, bucket, key, status, curItem.bi.Version, rule, c); err != nil {
					return err
				}
			}
		}
	}
	left := len(vs)
	for i, it := range vs {
		created, ok := suffixTime(it.suffix)
		if curItem == nil || successor.IsZero() || !ok {
			// No current version (a promotion under way) or a name
			// this gateway did not make: nothing to measure from.
			successor = created
			continue
		}
		rule, due := cfg.NoncurrentDue(key, successor, i, now)
		successor = created
		if !due {
			continue
		}
		if s.removeVersion(ctx, bucket, key, archiveKey(key, it.suffix), it.bi, rule, now, c) {
			left--
		}
	}
	if curItem != nil && IsDeleteMarker(curItem.bi.Meta) && left == 0 {
		if rule, due := cfg.MarkerDue(key); due {
			s.removeVersion(ctx, bucket, key, key, curItem.bi, rule, now, c)
		}
	}
	return nil
}

// expireCurrent places a delete marker on the current version of key, as
// a DELETE without versionId does, if it is still the version listed
// (backend version ver): a write since, or another janitor's marker,
// makes it a race, left alone.
func (s *Service) expireCurrent(ctx context.Context, bucket, key, status, ver, rule string, c *LifecycleCounts) error {
	if s.lifecycleExamined != nil {
		s.lifecycleExamined(bucket, key)
	}
	out, err := s.putMarkerOver(ctx, bucket, key, status, ver)
	switch {
	case err == nil:
		c.Expired++
		s.log.InfoContext(ctx, "lifecycle: current version expired, delete marker placed", "bucket", bucket, "key", key, "marker", out.VersionID, "rule", rule)
		return nil
	case isCondFailure(err), errors.Is(err, errVersionMoved):
		c.Raced++
		return nil
	}
	return err
}

// removeVersion removes the stored version bk of key (listed as bi) if no
// lock protects it at now and it is still the one listed. It reports
// whether the version is gone.
func (s *Service) removeVersion(ctx context.Context, bucket, key, bk string, bi backend.ObjectInfo, rule string, now time.Time, c *LifecycleCounts) bool {
	if !IsDeleteMarker(bi.Meta) {
		so, err := s.decodeObject(bucket, key, bi)
		if err == nil {
			err = lockedAt(so.attrs, false, now)
		}
		if err != nil {
			c.Locked++
			s.log.InfoContext(ctx, "lifecycle: due version kept: locked or unverifiable", "bucket", bucket, "key", key, "version", so.versionOrEmpty(), "rule", rule, "err", err)
			return false
		}
	}
	if s.lifecycleExamined != nil {
		s.lifecycleExamined(bucket, key)
	}
	err := s.be.Delete(ctx, bucket, bk, backend.Cond{IfVersion: bi.Version})
	switch {
	case err == nil:
		c.Expired++
		s.log.InfoContext(ctx, "lifecycle: version removed", "bucket", bucket, "key", key, "current", bk == key, "delete_marker", IsDeleteMarker(bi.Meta), "rule", rule)
		return true
	case errors.Is(err, backend.ErrPrecondition), errors.Is(err, backend.ErrNoSuchKey):
		c.Raced++
	default:
		s.log.WarnContext(ctx, "lifecycle: removing a version", "bucket", bucket, "key", key, "err", err)
	}
	return false
}

// objectCreated is when an object version was created: the time its
// version ID holds, else (the null version) its Last-Modified.
func objectCreated(info s3api.ObjectInfo) time.Time {
	if t, ok := suffixTime(info.VersionID); ok && validVersionID(info.VersionID) {
		return t
	}
	return info.LastModified
}

// versionOrEmpty is the version ID of a decoded object, "" when none.
func (so *storedObject) versionOrEmpty() string {
	if so == nil {
		return ""
	}
	return so.attrs[mVersionID]
}

// suffixTime is the creation time a noncurrent version's name starts
// with (timePrefix's inverse).
func suffixTime(suffix string) (time.Time, bool) {
	if len(suffix) < 16 {
		return time.Time{}, false
	}
	v, err := strconv.ParseUint(suffix[:16], 16, 64)
	if err != nil || v > 1<<63-1 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(1<<63-1-v)).UTC(), true
}

// withoutCurrent drops from a key's noncurrent entries the one holding
// the current version (a promotion's duplicate, versioning_promote.go):
// it is not noncurrent, and counting it would expire one more version.
func withoutCurrent(cur *verItem, vs []*verItem) []*verItem {
	rh := RecordHash(cur.bi.Meta) // a duplicate is the current entry's very record
	for i, it := range vs {
		if RecordHash(it.bi.Meta) == rh {
			return append(vs[:i:i], vs[i+1:]...)
		}
	}
	return vs
}
