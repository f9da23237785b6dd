package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"envelopegw/s3api"
)

func newestOf(m *Metrics, bucket string) (time.Time, bool) {
	m.newest.mu.Lock()
	defer m.newest.mu.Unlock()
	t, ok := m.newest.newest[bucket]
	return t, ok
}

// TestNewestFollowsArrivals: only a successful PutObject, multipart
// completion or copy moves a bucket's newest object; tags, ACLs,
// configuration, deletes and failed or aborted uploads do not.
func TestNewestFollowsArrivals(t *testing.T) {
	m := New(Build{})
	for _, ri := range []s3api.RequestInfo{
		{Operation: s3api.OpPutObjectTagging, Bucket: "b", Status: 200},
		{Operation: s3api.OpPutBucketVersioning, Bucket: "b", Status: 200},
		{Operation: s3api.OpPutBucketLifecycleConfiguration, Bucket: "b", Status: 200},
		{Operation: s3api.OpDeleteObject, Bucket: "b", Status: 204},
		{Operation: s3api.OpUploadPart, Bucket: "b", Status: 200},
		{Operation: s3api.OpPutObject, Bucket: "b", Status: 412, ErrorCode: "PreconditionFailed"},
		{Operation: s3api.OpPutObject, Bucket: "b", Status: 200, Aborted: true},
		{Operation: s3api.OpCompleteMultipartUpload, Bucket: "b", Status: 400, ErrorCode: "InvalidPart"},
	} {
		m.Begin()
		m.End(ri)
		if ts, ok := newestOf(m, "b"); ok {
			t.Fatalf("%v %d moved the newest object to %v", ri.Operation, ri.Status, ts)
		}
	}
	for _, op := range []s3api.Operation{s3api.OpPutObject, s3api.OpCompleteMultipartUpload, s3api.OpCopyObject} {
		bucket := op.String()
		before := time.Now()
		m.Begin()
		m.End(s3api.RequestInfo{Operation: op, Bucket: bucket, Status: 200, Routed: true})
		if ts, ok := newestOf(m, bucket); !ok || ts.Before(before) {
			t.Errorf("%v 200: newest object %v (%v), want at or after %v", op, ts, ok, before)
		}
	}
}

// fakeLister serves listings of fixed objects, three keys a page.
type fakeLister struct {
	buckets []s3api.BucketInfo
	objects map[string][]s3api.ObjectInfo // absent: NoSuchBucket
	calls   int
}

func (f *fakeLister) ListBuckets(context.Context) ([]s3api.BucketInfo, error) { return f.buckets, nil }

func (f *fakeLister) ListObjects(_ context.Context, in *s3api.ListObjectsInput) (*s3api.ListObjectsOutput, error) {
	f.calls++
	objs, ok := f.objects[in.Bucket]
	if !ok {
		return nil, s3api.ErrNoSuchBucket
	}
	var out s3api.ListObjectsOutput
	for _, o := range objs {
		if o.Key <= in.After {
			continue
		}
		if len(out.Objects) == 3 {
			out.IsTruncated = true
			break
		}
		out.Objects = append(out.Objects, o)
		out.NextAfter = o.Key
	}
	return &out, nil
}

// TestScanNewest: the listing at start finds the newest object across
// pages, gives an empty bucket its creation time and drops a bucket that
// went away while listed.
func TestScanNewest(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	newest := created.Add(48 * time.Hour)
	f := &fakeLister{
		buckets: []s3api.BucketInfo{{Name: "full", Created: created}, {Name: "empty", Created: created}, {Name: "gone", Created: created}},
		objects: map[string][]s3api.ObjectInfo{"empty": nil, "full": nil},
	}
	for i := range 10 {
		mod := created.Add(time.Duration(i) * time.Hour)
		if i == 7 {
			mod = newest
		}
		f.objects["full"] = append(f.objects["full"], s3api.ObjectInfo{Key: fmt.Sprintf("k%02d", i), LastModified: mod})
	}
	m := New(Build{})
	if err := m.ScanNewest(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if ts, _ := newestOf(m, "full"); !ts.Equal(newest) {
		t.Errorf("newest of full: %v, want %v (on the third page)", ts, newest)
	}
	if ts, _ := newestOf(m, "empty"); !ts.Equal(created) {
		t.Errorf("newest of empty: %v, want its creation %v", ts, created)
	}
	if ts, ok := newestOf(m, "gone"); ok {
		t.Errorf("a bucket gone while listed is exported at %v", ts)
	}
	if f.calls != 4+1+1 {
		t.Errorf("%d listing calls, want 6 (4 pages of full, 1 each of the others)", f.calls)
	}
}
