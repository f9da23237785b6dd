package gateway

import (
	"context"

	"envelopegw/s3api"
)

// # The configuration, once per request
//
// Most requests read their bucket's configuration more than once: the
// policy check before the operation, then the operation itself (a PUT for
// versioning, a GET for the null version's name). Each read is a Stat of
// the configuration object, a failed open and a stat of the bucket when
// it has none, about 3 % of a small PUT's CPU. So readConfig remembers
// what it read in the request's scope (s3api.RequestScope) and answers
// the rest of that request from it.
//
// The memo lives as long as one request: the next request reads the
// volume again and sees every change made by any process meanwhile. A
// request that changes the configuration itself (updateConfig, the
// deletion of a bucket's configuration) reads the volume for its
// compare-and-swap, never the memo, and forgets the memo afterwards.
// Work outside a request (janitor, lifecycle, offline commands) has no
// scope and always reads the volume. Only successful reads are kept: an
// error is asked again.

// configMemoKey names a bucket's configuration in a request scope.
type configMemoKey struct{ bucket string }

// configMemo is what readConfig returned.
type configMemo struct {
	cfg bucketConfig
	ver string
}

// readConfig returns bucket's configuration and the version of the object
// holding it ("" when there is none), read at most once per request.
// Callers must not change what the configuration points to (its lock
// configuration, its tags): they may share it with the rest of the
// request. updateConfig reads its own copy.
func (s *Service) readConfig(ctx context.Context, bucket string) (bucketConfig, string, error) {
	sc := s3api.ScopeOf(ctx)
	if sc != nil {
		if v, ok := sc.Load(configMemoKey{bucket}); ok {
			m := v.(configMemo)
			return m.cfg, m.ver, nil
		}
	}
	cfg, ver, err := s.readConfigFresh(ctx, bucket)
	if err == nil && sc != nil {
		sc.Store(configMemoKey{bucket}, configMemo{cfg, ver})
	}
	return cfg, ver, err
}

// forgetConfig drops bucket's configuration from the request's memo, after
// the request changed it (or may have).
func forgetConfig(ctx context.Context, bucket string) {
	if sc := s3api.ScopeOf(ctx); sc != nil {
		sc.Forget(configMemoKey{bucket})
	}
}
