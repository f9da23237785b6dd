package gateway

import (
	"context"
	"sync/atomic"
	"testing"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// statCounter counts Stats of the bucket configuration object.
type statCounter struct {
	backend.Backend
	cfgStats atomic.Int64
}

func (c *statCounter) Stat(ctx context.Context, bucket, key string) (backend.ObjectInfo, error) {
	if key == configKey {
		c.cfgStats.Add(1)
	}
	return c.Backend.Stat(ctx, bucket, key)
}

// TestConfigReadOncePerRequest: a PUT's policy check and its versioning
// check share one read of the bucket configuration within a request.
func TestConfigReadOncePerRequest(t *testing.T) {
	e := newEnv(t)
	var sc *statCounter
	s := e.service(func(c *Config) { sc = &statCounter{Backend: c.Backend}; c.Backend = sc })
	mustBucket(t, s, "bkt")
	ctx := s3api.WithRequestScope(context.Background())
	if _, err := s.BucketPolicy(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	data := []byte("small")
	if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: newBody(data), Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	if n := sc.cfgStats.Load(); n != 1 {
		t.Fatalf("policy check and PUT read the configuration %d times in one request, want 1", n)
	}
	// Outside a request nothing is remembered.
	sc.cfgStats.Store(0)
	bg := context.Background()
	s.BucketPolicy(bg, "bkt")
	s.BucketPolicy(bg, "bkt")
	if n := sc.cfgStats.Load(); n != 2 {
		t.Fatalf("two reads without a request scope read the configuration %d times, want 2", n)
	}
}

// TestConfigChangeSeenByNextRequest: a configuration change, by this
// request, by another request or by another process on the same volume,
// is what the next request sees, and a request that changes the
// configuration itself sees its change.
func TestConfigChangeSeenByNextRequest(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	other := e.service(nil) // another gateway process sharing the volume
	mustBucket(t, s, "bkt")

	// One request reads the configuration (unversioned), changes it, and
	// reads it again.
	req := s3api.WithRequestScope(context.Background())
	if v, err := s.GetBucketVersioning(req, "bkt"); err != nil || v != "" {
		t.Fatalf("versioning %q, %v; want none", v, err)
	}
	if err := s.PutBucketVersioning(req, "bkt", s3api.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.GetBucketVersioning(req, "bkt"); v != s3api.VersioningEnabled {
		t.Fatalf("the request that enabled versioning reads %q", v)
	}

	// The next request writes a version.
	data := []byte("v1")
	req = s3api.WithRequestScope(context.Background())
	s.BucketPolicy(req, "bkt")
	out, err := s.PutObject(req, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: newBody(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if out.VersionID == "" {
		t.Fatal("PUT after versioning was enabled got no version ID")
	}

	// A request starts and reads the configuration; another process
	// suspends versioning; the next request sees it.
	req = s3api.WithRequestScope(context.Background())
	s.BucketPolicy(req, "bkt")
	if err := other.PutBucketVersioning(context.Background(), "bkt", s3api.VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	req = s3api.WithRequestScope(context.Background())
	s.BucketPolicy(req, "bkt")
	out, err = s.PutObject(req, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: newBody(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if out.VersionID != "" && out.VersionID != nullVersion {
		t.Fatalf("PUT after another process suspended versioning got version %q, want the null version", out.VersionID)
	}
	if v, _ := s.GetBucketVersioning(req, "bkt"); v != s3api.VersioningSuspended {
		t.Fatalf("versioning %q after another process suspended it", v)
	}

	// A policy set by another process applies to the next request.
	req = s3api.WithRequestScope(context.Background())
	if p, _ := s.BucketPolicy(req, "bkt"); p != "" {
		t.Fatalf("policy %q before any was set", p)
	}
	const pol = `{"Version":"2012-10-17","Statement":[]}`
	if err := other.PutBucketPolicy(context.Background(), "bkt", pol); err != nil {
		t.Fatal(err)
	}
	req = s3api.WithRequestScope(context.Background())
	if p, _ := s.BucketPolicy(req, "bkt"); p != pol {
		t.Fatalf("next request reads policy %q, want the one just set", p)
	}
}
