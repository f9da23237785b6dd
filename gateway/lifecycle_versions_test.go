package gateway

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"envelopegw/s3api"
)

// fakeClock is the service's and the janitor's time in these tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// serviceOnClock returns a Service whose clock is a fakeClock set to t0.
func serviceOnClock(t *testing.T, t0 time.Time) (*Service, *fakeClock) {
	clk := &fakeClock{t: t0}
	return newEnv(t).service(func(c *Config) { c.Now = clk.now }), clk
}

// versionedOnClock is serviceOnClock with a bucket "bkt" that has
// versioning enabled.
func versionedOnClock(t *testing.T, t0 time.Time) (*Service, *fakeClock) {
	t.Helper()
	s, clk := serviceOnClock(t, t0)
	mustBucket(t, s, "bkt")
	if err := s.PutBucketVersioning(context.Background(), "bkt", s3api.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	return s, clk
}

// versionsOf lists bucket's versions as "key vid" (a "DM " prefix for
// delete markers), in listing order.
func versionsOf(t *testing.T, s *Service, bucket string) []string {
	t.Helper()
	out, err := s.ListObjectVersions(context.Background(), &s3api.ListVersionsInput{Bucket: bucket, MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, v := range out.Versions {
		e := v.Key + " " + v.VersionID
		if v.DeleteMarker {
			e = "DM " + e
		}
		vs = append(vs, e)
	}
	return vs
}

func wantVersions(t *testing.T, s *Service, bucket string, want ...string) {
	t.Helper()
	got := versionsOf(t, s, bucket)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("versions of %s:\n%s\nwant:\n%s", bucket, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLifecycleVersioned applies lifecycle in a versioned bucket on a fake
// clock: a noncurrent version expires NoncurrentDays after its successor
// was created, the NewerNoncurrentVersions newest are kept, an expired
// current version gets a delete marker on top, and a delete marker left
// alone is removed.
func TestLifecycleVersioned(t *testing.T) {
	ctx := context.Background()
	day := 24 * time.Hour
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s, clk := versionedOnClock(t, t0)
	v1 := put(t, s, "bkt", "keep/k", []byte("v1")).VersionID
	g1 := put(t, s, "bkt", "gone/g", []byte("g1")).VersionID
	clk.set(t0.Add(day))
	v2 := put(t, s, "bkt", "keep/k", []byte("v2")).VersionID
	dm, err := s.DeleteObjectVersion(ctx, "bkt", "gone/g", "", false)
	if err != nil || !dm.DeleteMarker {
		t.Fatalf("DELETE: %+v, %v", dm, err)
	}
	clk.set(t0.Add(2 * day))
	v3 := put(t, s, "bkt", "keep/k", []byte("v3")).VersionID
	err = s.PutBucketLifecycle(ctx, "bkt", mustLifecycle(t,
		`<Rule><ID>keep</ID><Filter><Prefix>keep/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration>`+
			`<NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`+
			`<Rule><ID>gone</ID><Filter><Prefix>gone/</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`+
			`<NoncurrentVersionExpiration><NoncurrentDays>5</NoncurrentDays></NoncurrentVersionExpiration></Rule>`))
	if err != nil {
		t.Fatal(err)
	}
	var told LifecycleCounts
	s.lcDone = func(e, a, r, l int) { told.Expired += e; told.Aborted += a; told.Raced += r; told.Locked += l }
	pass := func(at time.Time, want LifecycleCounts) {
		t.Helper()
		clk.set(at)
		c, err := s.ApplyLifecycle(ctx, at)
		if err != nil || c != want {
			t.Fatalf("pass at %s: %+v, %v; want %+v", at, c, err, want)
		}
	}
	// v1 became noncurrent at day 1 (when v2 was written), g1 at day 1
	// (the marker): both due at the first midnight 5 days later, day 7.
	pass(t0.Add(6*day+11*time.Hour), LifecycleCounts{})
	wantVersions(t, s, "bkt", "DM gone/g "+dm.VersionID, "gone/g "+g1, "keep/k "+v3, "keep/k "+v2, "keep/k "+v1)
	pass(t0.Add(6*day+13*time.Hour), LifecycleCounts{Expired: 3})
	// v2 is due too but is the one newest noncurrent version kept; the
	// marker went with the last version under it.
	wantVersions(t, s, "bkt", "keep/k "+v3, "keep/k "+v2)
	pass(t0.Add(20*day), LifecycleCounts{})

	// v3, written at day 2, expires at day 33: a delete marker goes on
	// top, v3 stays as a noncurrent version and is still readable.
	pass(t0.Add(32*day+13*time.Hour), LifecycleCounts{Expired: 1})
	vs := versionsOf(t, s, "bkt")
	if len(vs) != 3 || !strings.HasPrefix(vs[0], "DM keep/k ") || vs[1] != "keep/k "+v3 || vs[2] != "keep/k "+v2 {
		t.Fatalf("after the current version expired: %q", vs)
	}
	if r, err := s.GetObject(ctx, "bkt", "keep/k"); err == nil {
		r.Close()
		t.Fatal("the expired key still answers GET")
	}
	if got := readVersion(t, s, "bkt", "keep/k", v3); string(got) != "v3" {
		t.Fatalf("v3 after expiry reads %q", got)
	}
	// Now v2 has a newer noncurrent version: it goes; v3, the newest,
	// stays; the marker has a version under it and stays.
	pass(t0.Add(32*day+14*time.Hour), LifecycleCounts{Expired: 1})
	pass(t0.Add(60*day), LifecycleCounts{})
	wantVersions(t, s, "bkt", vs[0], vs[1])
	if told != (LifecycleCounts{Expired: 5}) {
		t.Errorf("metrics hook heard %+v", told)
	}
}

// readVersion reads version vid of bucket/key whole.
func readVersion(t *testing.T, s *Service, bucket, key, vid string) []byte {
	t.Helper()
	r, err := s.GetObjectVersion(context.Background(), bucket, key, vid)
	if err != nil {
		t.Fatalf("GetObjectVersion %s/%s %s: %v", bucket, key, vid, err)
	}
	defer r.Close()
	rc, err := r.ReadRange(0, r.Info().Size)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLifecycleSuspended: in a Suspended bucket an expired null current
// version is replaced by a null delete marker, as a DELETE does there.
func TestLifecycleSuspended(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s, clk := versionedOnClock(t, t0)
	v1 := put(t, s, "bkt", "k", []byte("v1")).VersionID
	if err := s.PutBucketVersioning(ctx, "bkt", s3api.VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	put(t, s, "bkt", "k", []byte("null"))
	if err := s.PutBucketLifecycle(ctx, "bkt", mustLifecycle(t, `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(48 * time.Hour)
	clk.set(at)
	if c, err := s.ApplyLifecycle(ctx, at); err != nil || c != (LifecycleCounts{Expired: 1}) {
		t.Fatalf("pass: %+v, %v", c, err)
	}
	wantVersions(t, s, "bkt", "DM k null", "k "+v1)
	if c, err := s.ApplyLifecycle(ctx, at); err != nil || c != (LifecycleCounts{}) {
		t.Fatalf("second pass: %+v, %v", c, err)
	}
}

// TestLifecycleObjectLockBackups is the backup case of the issue at the
// service level, on a posix store: a bucket with Object Lock and a
// COMPLIANCE default retention of 3 days and a rule expiring backups
// after 3 days and noncurrent versions 1 day later. The writer's DELETE
// of a retained version is refused, and lifecycle skips due versions while
// they are retained (or under legal hold) and removes them after.
func TestLifecycleObjectLockBackups(t *testing.T) {
	ctx := context.Background()
	day := 24 * time.Hour
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s, clk := serviceOnClock(t, t0)
	mustBucket(t, s, "backups")
	if err := s.EnableObjectLock(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutObjectLockConfiguration(ctx, "backups", &s3api.LockConfiguration{Mode: s3api.LockCompliance, Days: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBucketLifecycle(ctx, "backups", mustLifecycle(t, `<Rule><ID>keep3</ID><Filter/><Status>Enabled</Status><Expiration><Days>3</Days></Expiration>`+
		`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration></Rule>`+
		`<Rule><ID>markers</ID><Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`)); err != nil {
		t.Fatal(err)
	}
	b1 := put(t, s, "backups", "full/1", []byte("backup one")).VersionID
	held := put(t, s, "backups", "full/held", []byte("held")).VersionID
	if _, err := s.PutObjectLegalHold(ctx, "backups", "full/held", held, s3api.LegalHoldOn); err != nil {
		t.Fatal(err)
	}
	// An overwrite an hour later makes b1 noncurrent (due at day 2, retained
	// to day 3); the writer cannot remove b1 itself.
	clk.set(t0.Add(time.Hour))
	b2 := put(t, s, "backups", "full/1", []byte("backup two")).VersionID
	_, err := s.DeleteObjectVersion(ctx, "backups", "full/1", b1, false)
	wantCode(t, err, "AccessDenied", 403)
	_, err = s.DeleteObjectVersion(ctx, "backups", "full/1", b1, true) // COMPLIANCE: no bypass
	wantCode(t, err, "AccessDenied", 403)

	pass := func(at time.Time, want LifecycleCounts) {
		t.Helper()
		clk.set(at)
		c, err := s.ApplyLifecycle(ctx, at)
		if err != nil || c != want {
			t.Fatalf("pass at %s: %+v, %v; want %+v", at, c, err, want)
		}
	}
	pass(t0.Add(day+13*time.Hour), LifecycleCounts{Locked: 1}) // b1 due, retained
	wantVersions(t, s, "backups", "full/1 "+b2, "full/1 "+b1, "full/held "+held)
	if got := readVersion(t, s, "backups", "full/1", b1); string(got) != "backup one" {
		t.Fatalf("b1 reads %q", got)
	}
	// Day 4: b1's retention has passed: it goes. b2 and held expire into
	// delete markers (a marker on a locked version is allowed, as in S3).
	pass(t0.Add(3*day+13*time.Hour), LifecycleCounts{Expired: 3})
	vs := versionsOf(t, s, "backups")
	if len(vs) != 4 || !strings.HasPrefix(vs[0], "DM full/1 ") || vs[1] != "full/1 "+b2 || !strings.HasPrefix(vs[2], "DM full/held ") || vs[3] != "full/held "+held {
		t.Fatalf("after day 4: %q", vs)
	}
	// Day 6: b2 (noncurrent since day 4) goes and its marker with it; the
	// held version is kept by its legal hold, whatever its retention.
	pass(t0.Add(5*day+13*time.Hour), LifecycleCounts{Expired: 2, Locked: 1})
	wantVersions(t, s, "backups", vs[2], vs[3])
	if _, err := s.PutObjectLegalHold(ctx, "backups", "full/held", held, s3api.LegalHoldOff); err != nil {
		t.Fatal(err)
	}
	pass(t0.Add(5*day+14*time.Hour), LifecycleCounts{Expired: 2})
	if vs := versionsOf(t, s, "backups"); len(vs) != 0 {
		t.Fatalf("left after the retention: %q", vs)
	}
}

// TestLifecycleVersionedRaces: a current version rewritten between the
// janitor's listing and its action is not expired (no marker lands on the
// new write), and two gateways' janitors on one volume place exactly one
// marker per expired key and remove each due version once.
func TestLifecycleVersionedRaces(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s1, s2 := e.service(nil), e.ingestOnly() // the janitor needs no private key
	mustBucket(t, s1, "bkt")
	if err := s1.PutBucketVersioning(ctx, "bkt", s3api.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		k := fmt.Sprintf("due/%03d", i)
		put(t, s1, "bkt", k, []byte("old"))
		put(t, s1, "bkt", k, []byte("cur"))
	}
	put(t, s1, "bkt", "race", []byte("old"))
	if err := s1.PutBucketLifecycle(ctx, "bkt", mustLifecycle(t, `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`+
		`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`)); err != nil {
		t.Fatal(err)
	}
	raced := false
	s1.lifecycleExamined = func(bucket, key string) {
		if key == "race" && !raced {
			raced = true
			put(t, s1, bucket, key, []byte("new"))
		}
	}
	now := time.Now().Add(72 * time.Hour)
	if c, err := s1.ApplyLifecycle(ctx, now); err != nil || c.Raced != 1 {
		t.Fatalf("pass with a rewrite: %+v, %v", c, err)
	}
	if got := readAll(t, s1, "bkt", "race"); string(got) != "new" {
		t.Fatalf("race holds %q", got)
	}
	s1.lifecycleExamined = nil

	// Two janitors at once, twice (the second pass removes the versions
	// made noncurrent by the first: each key ends with its marker, "cur"
	// kept as the one newest noncurrent version, and "old" gone).
	for range 2 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*Service{s1, s2} {
			wg.Go(func() { _, errs[i] = s.ApplyLifecycle(ctx, now) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("errors: %v, %v", errs[0], errs[1])
		}
	}
	vs := versionsOf(t, s1, "bkt")
	perKey := map[string]int{}
	markers := map[string]int{}
	for _, v := range vs {
		f := strings.Fields(v)
		if f[0] == "DM" {
			markers[f[1]]++
			continue
		}
		perKey[f[0]]++
	}
	for i := range n {
		k := fmt.Sprintf("due/%03d", i)
		if markers[k] != 1 || perKey[k] != 1 {
			t.Errorf("%s: %d markers, %d versions; want 1 and 1", k, markers[k], perKey[k])
		}
		if out, err := s1.ListObjectVersions(ctx, &s3api.ListVersionsInput{Bucket: "bkt", Prefix: k}); err == nil && len(out.Versions) == 2 && !out.Versions[1].DeleteMarker {
			if got := readVersion(t, s1, "bkt", k, out.Versions[1].VersionID); string(got) != "cur" {
				t.Errorf("%s keeps %q, want cur", k, got)
			}
		}
	}
}
