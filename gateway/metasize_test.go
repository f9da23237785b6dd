package gateway

import (
	"context"
	"os"
	"testing"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend"
	s3be "envelopegw/backend/s3"
	"envelopegw/backend/s3/s3test"
	"envelopegw/envelope"
)

// fourPQRecipients returns four ML-KEM-768+X25519 recipients.
func fourPQRecipients(t *testing.T) []envelope.Recipient {
	t.Helper()
	var rs []envelope.Recipient
	for range 4 {
		id, err := envelope.GenerateIdentity("mlkem768x25519")
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, id.Recipient())
	}
	return rs
}

func metaBytes(m backend.Meta) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

// TestStoredMetadataSize measures what an object with four post-quantum
// recipients and user metadata costs each backend beside its data
// (envelope/FORMAT.md "Stored layout" quotes the figures): the posix head
// file, and on S3 the head companion object, while the upstream user
// metadata stays empty, far under S3's 2 KB.
func TestStoredMetadataSize(t *testing.T) {
	e := newEnv(t)
	rs := fourPQRecipients(t)
	ctx := context.Background()
	putOne := func(s *Service) backend.ObjectInfo {
		mustBucket(t, s, "bkt")
		put(t, s, "bkt", "backups/2026-12-07/full.xbstream", randBytes(100000))
		st, err := s.be.Stat(ctx, "bkt", "backups/2026-12-07/full.xbstream")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	ps := e.service(func(c *Config) { c.Recipients, c.Identities = rs, nil })
	st := putOne(ps)
	heads := dataFiles(t, e.dir+"/buckets/bkt/objects")
	fi, err := os.Stat(heads[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("4 ML-KEM recipients: %d bytes of backend metadata (h %d, t %d, r %d); posix head file %d bytes",
		metaBytes(st.Meta), len(st.Meta["h"]), len(st.Meta["t"]), len(st.Meta[mRecord]), fi.Size())

	srv := s3test.StartMinIO(t)
	be, err := s3be.New(ctx, s3be.Options{Client: srv.Client, Bucket: srv.Bucket, Prefix: "size"})
	if err != nil {
		t.Fatal(err)
	}
	ss := e.service(func(c *Config) { c.Backend, c.Recipients, c.Identities = be, rs, nil })
	putOne(ss)
	var heads3 []minio.ObjectInfo
	for oi := range srv.Client.ListObjects(ctx, srv.Bucket, minio.ListObjectsOptions{Prefix: "size/k/", Recursive: true}) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		heads3 = append(heads3, oi)
	}
	if len(heads3) != 1 {
		t.Fatalf("%d head objects", len(heads3))
	}
	full, err := srv.Client.StatObject(ctx, srv.Bucket, heads3[0].Key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	user := 0
	for k, v := range full.UserMetadata {
		user += len(k) + len(v)
	}
	t.Logf("s3: head companion object %d bytes; upstream user metadata %d bytes", full.Size, user)
	if user > 1024 {
		t.Fatalf("%d bytes of upstream user metadata", user)
	}
}
