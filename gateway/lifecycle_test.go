package gateway

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"envelopegw/lifecycle"
	"envelopegw/s3api"
)

func mustLifecycle(t *testing.T, xml string) *lifecycle.Configuration {
	t.Helper()
	c, err := lifecycle.Parse([]byte(`<LifecycleConfiguration>` + xml + `</LifecycleConfiguration>`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func listKeys(t *testing.T, s *Service, bucket string) []string {
	t.Helper()
	out, err := s.ListObjects(context.Background(), &s3api.ListObjectsInput{Bucket: bucket, MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Objects {
		keys = append(keys, o.Key)
	}
	return keys
}

func TestLifecycleConfiguration(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).ingestOnly()
	mustBucket(t, s, "bkt")
	_, err := s.GetBucketLifecycle(ctx, "bkt")
	wantCode(t, err, "NoSuchLifecycleConfiguration", 404)
	_, err = s.GetBucketLifecycle(ctx, "nobkt")
	wantCode(t, err, "NoSuchBucket", 404)
	wantCode(t, s.PutBucketLifecycle(ctx, "nobkt", mustLifecycle(t, `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)), "NoSuchBucket", 404)

	cfg := mustLifecycle(t, `<Rule><ID>keep30</ID><Filter><Prefix>b/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>`)
	if err := s.PutBucketLifecycle(ctx, "bkt", cfg); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetBucketLifecycle(ctx, "bkt")
	if err != nil || len(got.Rules) != 1 || got.Rules[0].ID != "keep30" || got.Rules[0].KeyPrefix() != "b/" || *got.Rules[0].Expiration.Days != 30 {
		t.Fatalf("GetBucketLifecycle: %+v, %v", got, err)
	}
	// The configuration is no object: listings, and so emptiness, ignore it.
	put(t, s, "bkt", "a", []byte("x"))
	if keys := listKeys(t, s, "bkt"); len(keys) != 1 || keys[0] != "a" {
		t.Errorf("listing shows %q", keys)
	}
	wantCode(t, s.DeleteBucket(ctx, "bkt"), "BucketNotEmpty", 409)
	if err := s.DeleteObject(ctx, "bkt", "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatalf("DeleteBucket of a bucket with only its lifecycle: %v", err)
	}
	// A bucket made again starts without the old configuration.
	mustBucket(t, s, "bkt")
	_, err = s.GetBucketLifecycle(ctx, "bkt")
	wantCode(t, err, "NoSuchLifecycleConfiguration", 404)
	if err := s.PutBucketLifecycle(ctx, "bkt", cfg); err != nil {
		t.Fatal(err)
	}
	for range 2 { // deleting none is fine too
		if err := s.DeleteBucketLifecycle(ctx, "bkt"); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.GetBucketLifecycle(ctx, "bkt")
	wantCode(t, err, "NoSuchLifecycleConfiguration", 404)
}

// TestLifecycleRun applies rules on a fake clock: the prefix and the day
// arithmetic pick the objects and uploads, a disabled rule does nothing,
// and a second pass finds nothing left to do.
func TestLifecycleRun(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).ingestOnly()
	mustBucket(t, s, "bkt")
	mustBucket(t, s, "other")
	for _, k := range []string{"logs/a", "logs/b", "keep/c", "old/d"} {
		put(t, s, "bkt", k, []byte(k))
	}
	put(t, s, "other", "logs/a", []byte("no rules here"))
	up1, _ := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "logs/u"})
	up2, _ := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "keep/u"})
	err := s.PutBucketLifecycle(ctx, "bkt", mustLifecycle(t,
		`<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration>`+
			`<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`+
			`<Rule><ID>off</ID><Prefix>old/</Prefix><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>`))
	if err != nil {
		t.Fatal(err)
	}
	var told LifecycleCounts // what the metrics hook heard
	s.lcDone = func(e, a, r, l int) { told.Expired += e; told.Aborted += a; told.Raced += r; told.Locked += l }
	start := time.Now().UTC()
	day := 24 * time.Hour

	c, err := s.ApplyLifecycle(ctx, start.Add(7*day-time.Hour))
	if err != nil || c != (LifecycleCounts{}) {
		t.Fatalf("a week minus an hour later: %+v, %v", c, err)
	}
	c, err = s.ApplyLifecycle(ctx, start.Add(9*day))
	if err != nil || c != (LifecycleCounts{Aborted: 1}) {
		t.Fatalf("nine days later: %+v, %v", c, err)
	}
	if _, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: "bkt", Key: "logs/u", UploadID: up1}); err == nil {
		t.Error("the upload under logs/ was not aborted")
	}
	if _, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: "bkt", Key: "keep/u", UploadID: up2}); err != nil {
		t.Errorf("the upload outside the rule's prefix: %v", err)
	}
	if c, _ := s.ApplyLifecycle(ctx, start.Add(30*day-time.Hour)); c.Expired != 0 {
		t.Fatalf("expired before 30 days: %+v", c)
	}
	c, err = s.ApplyLifecycle(ctx, start.Add(32*day))
	if err != nil || c != (LifecycleCounts{Expired: 2}) {
		t.Fatalf("32 days later: %+v, %v", c, err)
	}
	if keys := listKeys(t, s, "bkt"); fmt.Sprint(keys) != "[keep/c old/d]" {
		t.Errorf("left in bkt: %q", keys)
	}
	if keys := listKeys(t, s, "other"); len(keys) != 1 {
		t.Errorf("a bucket without rules lost objects: %q", keys)
	}
	if c, err := s.ApplyLifecycle(ctx, start.Add(33*day)); err != nil || c != (LifecycleCounts{}) {
		t.Errorf("second pass: %+v, %v", c, err)
	}
	if told != (LifecycleCounts{Expired: 2, Aborted: 1}) {
		t.Errorf("LifecycleDone heard %+v", told)
	}
}

// TestLifecycleRewrittenNotExpired: an object rewritten between the
// janitor's listing and its delete is the new object, and stays.
func TestLifecycleRewrittenNotExpired(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).service(nil)
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "k", []byte("old"))
	s.PutBucketLifecycle(ctx, "bkt", mustLifecycle(t, `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`))
	s.lifecycleExamined = func(bucket, key string) { put(t, s, bucket, key, []byte("new")) }
	c, err := s.ApplyLifecycle(ctx, time.Now().Add(72*time.Hour))
	if err != nil || c != (LifecycleCounts{Raced: 1}) {
		t.Fatalf("%+v, %v", c, err)
	}
	if got := readAll(t, s, "bkt", "k"); !bytes.Equal(got, []byte("new")) {
		t.Errorf("k holds %q", got)
	}
}

// TestLifecycleJanitorsRace runs two gateways' janitors on one volume at
// once: every due object is expired exactly once, nothing else is, and
// neither reports an error.
func TestLifecycleJanitorsRace(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s1, s2 := e.ingestOnly(), e.ingestOnly()
	mustBucket(t, s1, "bkt")
	const n = 60
	for i := range n {
		put(t, s1, "bkt", fmt.Sprintf("due/%03d", i), []byte("x"))
	}
	put(t, s1, "bkt", "kept", []byte("x"))
	s1.PutBucketLifecycle(ctx, "bkt", mustLifecycle(t, `<Rule><Filter><Prefix>due/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`))
	now := time.Now().Add(72 * time.Hour)
	var wg sync.WaitGroup
	counts := make([]LifecycleCounts, 2)
	errs := make([]error, 2)
	for i, s := range []*Service{s1, s2} {
		wg.Go(func() { counts[i], errs[i] = s.ApplyLifecycle(ctx, now) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v, %v", errs[0], errs[1])
	}
	if got := counts[0].Expired + counts[1].Expired; got != n {
		t.Errorf("expired %d (%+v, %+v), want %d", got, counts[0], counts[1], n)
	}
	if keys := listKeys(t, s2, "bkt"); fmt.Sprint(keys) != "[kept]" {
		t.Errorf("left: %q", keys)
	}
}

// TestLifecycleVersionedBucketUploads: in a versioned bucket, uploads are
// aborted as elsewhere and an expired object is kept under a delete
// marker, never deleted.
func TestLifecycleVersionedBucketUploads(t *testing.T) {
	ctx := context.Background()
	s := newEnv(t).ingestOnly()
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "k", []byte("x"))
	s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "u"})
	if err := s.PutBucketVersioning(ctx, "bkt", s3api.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	s.PutBucketLifecycle(ctx, "bkt", mustLifecycle(t, `<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`))
	c, err := s.ApplyLifecycle(ctx, time.Now().Add(72*time.Hour))
	if err != nil || c != (LifecycleCounts{Expired: 1, Aborted: 1}) {
		t.Fatalf("%+v, %v", c, err)
	}
	if keys := listKeys(t, s, "bkt"); len(keys) != 0 {
		t.Errorf("left current: %q", keys)
	}
	if vs := versionsOf(t, s, "bkt"); len(vs) != 2 || !strings.HasPrefix(vs[0], "DM k ") || vs[1] != "k null" {
		t.Errorf("versions: %q", vs)
	}
}
