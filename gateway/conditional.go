package gateway

import (
	"context"
	"errors"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// Conditional writes and deletes are checked twice. writeCond evaluates
// the S3 condition against the current object before any byte of the
// request is stored (a request that cannot succeed is answered without
// reading its body), and turns it into a backend.Cond naming exactly the
// version it evaluated. The backend checks that Cond atomically with the
// commit, across processes; if the object changed in between,
// condFailed evaluates the S3 condition again against what is there now:
// 412 (or 404) when the condition fails now, as S3 answers the loser of
// a race, else 409 ConditionalRequestConflict (the object changed in a
// way the condition does not see; S3 clients retry).

// writeCond evaluates c against bucket/key and returns the backend
// condition to commit under (the zero Cond when c is empty).
func (s *Service) writeCond(ctx context.Context, o op, c s3api.WriteConditions) (backend.Cond, error) {
	if !c.Set() {
		return backend.Cond{}, nil
	}
	st, exists, err := s.statMaybe(ctx, o)
	if err != nil {
		return backend.Cond{}, err
	}
	if err := c.Check(exists, s.currentETag(o, st, exists)); err != nil {
		return backend.Cond{}, err
	}
	if exists {
		return backend.Cond{IfVersion: st.Version}, nil
	}
	return backend.Cond{IfAbsent: true}, nil
}

// condFailed answers a commit whose backend condition failed.
func (s *Service) condFailed(ctx context.Context, o op, c s3api.WriteConditions) error {
	st, exists, err := s.statMaybe(ctx, o)
	if err != nil {
		return err
	}
	if err := c.Check(exists, s.currentETag(o, st, exists)); err != nil {
		return err
	}
	return s3api.ErrConditionalRequestConflict
}

// statMaybe stats o's object; a missing object is not an error.
func (s *Service) statMaybe(ctx context.Context, o op) (backend.ObjectInfo, bool, error) {
	st, err := s.be.Stat(ctx, o.bucket, o.key)
	if errors.Is(err, backend.ErrNoSuchKey) {
		return backend.ObjectInfo{}, false, nil
	}
	if err != nil {
		return backend.ObjectInfo{}, false, s.fail(o, err)
	}
	return st, true, nil
}

// isCondFailure reports a backend condition that did not hold (as opposed
// to SetMeta's ifModTime, which no conditional request uses).
func isCondFailure(err error) bool { return errors.Is(err, backend.ErrPrecondition) }

// deleteIf is a conditional DeleteObject: the conditions are evaluated on
// the object's S3 attributes, then the backend deletes exactly the version
// evaluated. A missing object is ErrNoSuchKey (the handler answers 204 or,
// for If-Match, 404).
func (s *Service) deleteIf(ctx context.Context, o op, cond []s3api.DeleteConditions) error {
	check := func() (backend.ObjectInfo, bool, error) {
		st, exists, err := s.statMaybe(ctx, o)
		if err != nil {
			return st, false, err
		}
		var info *s3api.ObjectInfo
		if exists {
			li := s.listInfo(o.bucket, st)
			info = &li
		}
		for _, c := range cond {
			if err := c.Check(info); err != nil {
				return st, exists, err
			}
		}
		return st, exists, nil
	}
	st, _, err := check()
	if err != nil {
		return err
	}
	err = s.be.Delete(ctx, o.bucket, o.key, backend.Cond{IfVersion: st.Version})
	switch {
	case errors.Is(err, backend.ErrNoSuchKey):
		return s3api.ErrNoSuchKey
	case isCondFailure(err):
		if _, _, err := check(); err != nil {
			return err
		}
		return s3api.ErrConditionalRequestConflict
	}
	return s.fail(o, err)
}

// currentETag is the ETag of the object a condition is evaluated against.
// It is sealed in the object's signed record; an object that does not
// verify has none, so If-Match never matches it.
func (s *Service) currentETag(o op, st backend.ObjectInfo, exists bool) string {
	if !exists {
		return ""
	}
	so, err := s.decodeObject(o.bucket, o.key, st)
	if err != nil {
		s.log.WarnContext(o.ctx, "conditional write: the current object does not verify", "bucket", o.bucket, "key", o.key, "err", err)
		return ""
	}
	return so.info.ETag
}
