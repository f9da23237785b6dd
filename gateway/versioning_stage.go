package gateway

import (
	"context"
	"errors"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// # Streamed writes into a versioning-enabled bucket
//
// Every successful PUT into such a bucket is a version in S3, and of
// concurrent PUTs of one key the last to commit is current. A streamed
// body can be sent to the backend only once, and a commit conditional on
// the current version that loses its race to another writer (another
// request, or another gateway process on the volume) would lose the
// body. So the new version is committed first where nothing races it:
// at its own noncurrent name (archiveKey with its fresh, unique version
// ID, create-only). Then it is made current by a Backend.Copy of that
// entry onto the user key (bytes shared: a hard link on posix, a
// server-side copy upstream) under the versioning condition; a lost race
// only means archiving the new current version and copying again, with
// no byte of the body resent. Last, the staged name goes.
//
// Readers already treat a noncurrent copy of the current version as a
// duplicate, the current one winning (versioning_promote.go): between
// the copy and the removal, or for ever after a crash there, nothing
// visible is wrong. Before the copy, a crash leaves the version as a
// noncurrent one that no client was told of, as if its PUT had been
// overtaken.
//
// A write that loses every one of its attempts (maxVersionRetries other
// writers of the key committing in between) stays a noncurrent version
// and is answered with success: the writers that beat it committed after
// it, so it is rightly not the current one, and no acknowledged write is
// ever lost.

// staged reports a write that commits at its version's noncurrent name
// first: one with a version ID of its own.
func (vw *versionedWrite) staged() bool { return vw.vid != "" }

// target is where a streamed write commits its body, and under which
// conditions: the user key under cond and the versioning condition, or
// for a staged write its version's noncurrent name, create-only (user
// conditions are then held by promoteStaged).
func (vw *versionedWrite) target(key string, cond backend.Cond) (string, []backend.Cond) {
	if vw.staged() {
		return archiveKey(key, vw.vid), []backend.Cond{{IfAbsent: true}}
	}
	return key, vw.conds(cond)
}

// promoteStaged makes the staged entry (a version of bucket/key committed
// at its noncurrent name) the current version, under the client's
// condition cond (uc) as well as the versioning one. A failed client
// condition removes the staged version: the write did not happen.
func (s *Service) promoteStaged(ctx context.Context, o op, staged backend.ObjectInfo, cond backend.Cond, uc s3api.WriteConditions, vw *versionedWrite) error {
	bucket, key := o.bucket, o.key
	for attempt := 0; ; attempt++ {
		err := s.copyEntryCond(ctx, bucket, staged, key, vw.conds(cond)...)
		switch {
		case err == nil:
			s.dropStaged(ctx, bucket, staged)
			return nil
		case isCondFailure(err) && uc.Set():
			s.dropStaged(ctx, bucket, staged)
			return s.condFailed(ctx, o, uc)
		case isCondFailure(err) && attempt < maxVersionRetries:
			// Another writer committed first: keep its version as a
			// noncurrent one (even a null one: this write has a
			// version ID), then replace it.
			if perr := s.keepCurrentRetry(ctx, bucket, key, vw); perr != nil {
				s.dropStaged(ctx, bucket, staged)
				return s.fail(o, perr)
			}
		case isCondFailure(err):
			s.log.InfoContext(ctx, "versioning: a write overtaken by every retry stays a noncurrent version",
				"bucket", bucket, "key", key, "version", vw.vid)
			return nil
		default:
			s.dropStaged(ctx, bucket, staged)
			return s.fail(o, err)
		}
	}
}

// dropStaged removes a staged entry, exactly the version committed. One
// left behind is a duplicate readers skip or an unacknowledged version,
// never wrong data, so a failure is only logged.
func (s *Service) dropStaged(ctx context.Context, bucket string, staged backend.ObjectInfo) {
	err := s.be.Delete(ctx, bucket, staged.Key, backend.Cond{IfVersion: staged.Version})
	if err != nil && !errors.Is(err, backend.ErrNoSuchKey) {
		s.log.WarnContext(ctx, "versioning: removing a staged version", "bucket", bucket, "backend_key", staged.Key, "err", err)
	}
}

// commitCopyVersion is commitCopy for a destination in a versioned
// bucket: the source is still open, so a commit that lost its race to
// another writer of the key keeps the new current version and copies
// again, as CompleteMultipartUpload does, instead of refusing the copy.
func (s *Service) commitCopyVersion(ctx context.Context, in *s3api.CopyObjectInput, src backend.Object, bi backend.ObjectInfo, meta backend.Meta, cond backend.Cond, vw *versionedWrite) (backend.ObjectInfo, error) {
	for attempt := 0; ; attempt++ {
		ci, err := s.commitCopy(ctx, in, src, bi, meta, vw.conds(cond))
		if err == nil || !vw.raced(err) || in.Cond.Set() || attempt >= maxVersionRetries {
			return ci, err
		}
		if perr := s.keepCurrentRetry(ctx, in.DstBucket, in.DstKey, vw); perr != nil {
			return ci, perr
		}
	}
}
