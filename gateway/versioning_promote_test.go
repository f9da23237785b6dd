package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// TestPromoteCrash stops a DELETE of the current version by versionId
// right after its promotion's atomic replace, as a crash would: the key
// already reads as the previous version, every version lists once, and a
// following write or DELETE cleans the duplicate noncurrent name.
func TestPromoteCrash(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).service(nil)
	mustBucket(t, s, "bkt")
	if err := s.PutBucketVersioning(ctx, "bkt", s3api.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v1 := put(t, s, "bkt", "k", []byte("v1")).VersionID
	v2 := put(t, s, "bkt", "k", []byte("v2")).VersionID
	v3 := put(t, s, "bkt", "k", []byte("v3")).VersionID
	crash := errors.New("crash")
	s.promoteCopied = func() error { return crash }
	if _, err := s.DeleteObjectVersion(ctx, "bkt", "k", v3, false); err == nil {
		t.Fatal("the injected crash did not stop the DELETE")
	}
	s.promoteCopied = nil
	if _, err := s.be.Stat(ctx, "bkt", archiveKey("k", v2)); err != nil {
		t.Fatalf("the crash should leave v2's noncurrent name: %v", err)
	}
	if got := readAll(t, s, "bkt", "k"); string(got) != "v2" {
		t.Fatalf("GET after the crash: %q, want v2", got)
	}
	if got := readVersion(t, s, "bkt", "k", v2); string(got) != "v2" {
		t.Fatalf("GET v2 after the crash: %q", got)
	}
	wantVersions(t, s, "bkt", "k "+v2, "k "+v1)
	// Page by page, too: the duplicate never shows.
	var paged []string
	in := &s3api.ListVersionsInput{Bucket: "bkt", MaxKeys: 1}
	for {
		out, err := s.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			paged = append(paged, v.VersionID)
		}
		if !out.IsTruncated {
			break
		}
		in.KeyMarker, in.VersionIDMarker = out.NextKeyMarker, out.NextVersionIDMarker
	}
	if len(paged) != 2 || paged[0] != v2 || paged[1] != v1 {
		t.Fatalf("paged versions %q, want [%s %s]", paged, v2, v1)
	}

	var backups []string
	if err := s.EachBackup(ctx, "bkt", "", false, func(b Backup) error { backups = append(backups, b.Key); return nil }); err != nil || len(backups) != 2 {
		t.Fatalf("inventory lists %d versions (%v), want 2", len(backups), err)
	}

	// The next write keeps v2's noncurrent name as what it now is, as a
	// fresh copy: a promotion's last step (in another process) that
	// listed the duplicate cannot remove it any more.
	stale, err := s.be.Stat(ctx, "bkt", archiveKey("k", v2))
	if err != nil {
		t.Fatal(err)
	}
	v4 := put(t, s, "bkt", "k", []byte("v4")).VersionID
	if err := s.be.Delete(ctx, "bkt", archiveKey("k", v2), backend.Cond{IfVersion: stale.Version}); !isCondFailure(err) {
		t.Fatalf("the promotion's late delete of v2's noncurrent name: %v, want a failed condition", err)
	}
	wantVersions(t, s, "bkt", "k "+v4, "k "+v2, "k "+v1)
	if got := readVersion(t, s, "bkt", "k", v2); string(got) != "v2" {
		t.Fatalf("GET v2 after the next write: %q", got)
	}

	// Crash again, then DELETE v2 by versionId: its stale noncurrent
	// name goes with it and v1 is promoted.
	s.promoteCopied = func() error { return crash }
	if _, err := s.DeleteObjectVersion(ctx, "bkt", "k", v4, false); err == nil {
		t.Fatal("the injected crash did not stop the DELETE")
	}
	s.promoteCopied = nil
	wantVersions(t, s, "bkt", "k "+v2, "k "+v1)
	if _, err := s.DeleteObjectVersion(ctx, "bkt", "k", v2, false); err != nil {
		t.Fatal(err)
	}
	wantVersions(t, s, "bkt", "k "+v1)
	if got := readAll(t, s, "bkt", "k"); string(got) != "v1" {
		t.Fatalf("GET after deleting v2: %q, want v1", got)
	}
	page, err := s.be.List(ctx, "bkt", backend.ListOptions{Prefix: archivePrefix})
	if err != nil || len(page.Objects) != 0 {
		t.Fatalf("noncurrent names left: %+v, %v", page.Objects, err)
	}
	// The last version goes for good.
	if _, err := s.DeleteObjectVersion(ctx, "bkt", "k", v1, false); err != nil {
		t.Fatal(err)
	}
	wantVersions(t, s, "bkt")
}

// TestPromoteCrashLifecycle: a lifecycle pass in a promotion's window
// counts the promoted version once: with NewerNoncurrentVersions 1 the one
// real noncurrent version stays.
func TestPromoteCrashLifecycle(t *testing.T) {
	ctx := context.Background()
	day := 24 * time.Hour
	t0 := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s, clk := versionedOnClock(t, t0)
	v1 := put(t, s, "bkt", "k", []byte("v1")).VersionID
	clk.set(t0.Add(day))
	v2 := put(t, s, "bkt", "k", []byte("v2")).VersionID
	clk.set(t0.Add(2 * day))
	v3 := put(t, s, "bkt", "k", []byte("v3")).VersionID
	s.promoteCopied = func() error { return errors.New("crash") }
	if _, err := s.DeleteObjectVersion(ctx, "bkt", "k", v3, false); err == nil {
		t.Fatal("the injected crash did not stop the DELETE")
	}
	s.promoteCopied = nil
	err := s.PutBucketLifecycle(ctx, "bkt", mustLifecycle(t,
		`<Rule><ID>nc</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>`+
			`<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`))
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(30 * day)
	clk.set(at)
	if c, err := s.ApplyLifecycle(ctx, at); err != nil || c != (LifecycleCounts{}) {
		t.Fatalf("pass: %+v, %v; want nothing expired", c, err)
	}
	wantVersions(t, s, "bkt", "k "+v2, "k "+v1)
}
