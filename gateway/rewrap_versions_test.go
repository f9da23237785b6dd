package gateway

import (
	"context"
	"testing"

	"envelopegw/envelope"
	"envelopegw/s3api"
)

// TestRewrapOfflineKeepsAttributes: `rewrap --data` runs without the
// gateways' state key. What the serving gateways read without a private
// key (listings, conditions, an ingest host's create-only retries: ETag,
// Last-Modified, the version ID) must read the same after it, for
// single-part and multipart objects, current and noncurrent versions.
func TestRewrapOfflineKeepsAttributes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.service(nil)
	mustBucket(t, s, "bkt")
	mustBucket(t, s, "ver")
	if err := s.PutBucketVersioning(ctx, "ver", s3api.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	put(t, s, "bkt", "single", []byte("one part"))
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "multi"})
	if err != nil {
		t.Fatal(err)
	}
	p1 := uploadPart(t, s, "bkt", "multi", id, 1, randBytes(5<<20))
	p2 := uploadPart(t, s, "bkt", "multi", id, 2, []byte("tail"))
	if _, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "multi", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 2, ETag: p2.ETag}}}); err != nil {
		t.Fatal(err)
	}
	v1 := put(t, s, "ver", "k", []byte("v1")).VersionID
	v2 := put(t, s, "ver", "k", []byte("v2")).VersionID

	// An ingest-only gateway: the state key, no private key.
	ingest := e.service(func(c *Config) { c.Identities = nil })
	listing := func() map[string]s3api.ObjectInfo {
		t.Helper()
		out, err := ingest.ListObjects(ctx, &s3api.ListObjectsInput{Bucket: "bkt", MaxKeys: 1000})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]s3api.ObjectInfo{}
		for _, o := range out.Objects {
			m[o.Key] = o
		}
		return m
	}
	before := listing()
	for _, k := range []string{"single", "multi"} {
		if before[k].ETag == "" || before[k].LastModified.IsZero() {
			t.Fatalf("%s before the rewrap: %+v", k, before[k])
		}
	}

	next, _ := envelope.GenerateIdentity("x25519")
	offline := e.service(func(c *Config) { c.StateKey = nil })
	add, remove := []envelope.Recipient{next.Recipient()}, []string{e.id.KeyID()}
	for _, o := range []struct{ bucket, key string }{
		{"bkt", "single"}, {"bkt", "multi"}, {"ver", "k"}, {"ver", archiveKey("k", v1)},
	} {
		if res, err := offline.Rewrap(ctx, o.bucket, o.key, add, remove, false); err != nil || !res.Changed {
			t.Fatalf("rewrap %s/%q: %+v %v", o.bucket, o.key, res, err)
		}
	}
	after := listing()
	for _, k := range []string{"single", "multi"} {
		if a, b := after[k], before[k]; a.ETag != b.ETag || !a.LastModified.Equal(b.LastModified) || a.Size != b.Size {
			t.Errorf("%s listed after the rewrap as %+v, before as %+v", k, a, b)
		}
	}
	wantVersions(t, ingest, "ver", "k "+v2, "k "+v1)
}
