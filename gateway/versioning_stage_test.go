package gateway

import (
	"context"
	"strings"
	"testing"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// hookCopy runs before on the first Copy it forwards onto a user key (not
// a version's noncurrent name).
type hookCopy struct {
	backend.Backend
	before func()
}

func (h *hookCopy) Copy(ctx context.Context, src backend.CopySource, bucket, key string, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	if f := h.before; f != nil && !strings.HasPrefix(key, archivePrefix) {
		h.before = nil
		f()
	}
	return h.Backend.Copy(ctx, src, bucket, key, meta, cond...)
}

// CompleteUpload runs before on the first CompleteUpload it forwards.
func (h *hookCopy) CompleteUpload(ctx context.Context, bucket, key, uploadID string, refs []backend.PartRef, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	if f := h.before; f != nil {
		h.before = nil
		f()
	}
	return h.Backend.CompleteUpload(ctx, bucket, key, uploadID, refs, meta, cond...)
}

// TestStagedWriteKeepsNullVersion races a write that began in a
// versioning-enabled bucket (a staged PUT, a copy, or a complete) with a suspension of
// versioning and a null write of the same key, landed between its start
// and its commit onto the key. The write that lost the race must keep the
// null version as a noncurrent one before replacing it: it has a version
// ID of its own, so it is no null write that may replace the null version
// in place. Before, its retry kept the current version as a fresh null
// write would, and the acknowledged null version was gone.
func TestStagedWriteKeepsNullVersion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, s *Service) string // the versioned write; its version ID
	}{
		{"put", func(t *testing.T, s *Service) string {
			return put(t, s, "bkt", "k", []byte("versioned")).VersionID
		}},
		{"copy", func(t *testing.T, s *Service) string {
			out, err := s.CopyObject(context.Background(), &s3api.CopyObjectInput{
				SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "k",
			})
			if err != nil {
				t.Fatalf("CopyObject: %v", err)
			}
			return out.VersionID
		}},
		{"complete", func(t *testing.T, s *Service) string {
			ctx := context.Background()
			id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k"})
			if err != nil {
				t.Fatal(err)
			}
			p := uploadPart(t, s, "bkt", "k", id, 1, []byte("versioned"))
			out, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "k", UploadID: id,
				Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: p.ETag}}})
			if err != nil {
				t.Fatalf("CompleteMultipartUpload: %v", err)
			}
			return out.VersionID
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			hook := &hookCopy{}
			s := newEnv(t).service(func(c *Config) { hook.Backend = c.Backend; c.Backend = hook })
			mustBucket(t, s, "bkt")
			if err := s.PutBucketVersioning(ctx, "bkt", s3api.VersioningEnabled); err != nil {
				t.Fatal(err)
			}
			v1 := put(t, s, "bkt", "k", []byte("first")).VersionID
			put(t, s, "bkt", "src", []byte("versioned"))
			hook.before = func() {
				if err := s.PutBucketVersioning(ctx, "bkt", s3api.VersioningSuspended); err != nil {
					t.Fatal(err)
				}
				put(t, s, "bkt", "k", []byte("null write"))
			}
			vid := tc.write(t, s)
			if hook.before != nil {
				t.Fatal("the race was not injected")
			}
			if vid == "" || vid == v1 {
				t.Fatalf("the versioned write answered version %q", vid)
			}
			if got := readAll(t, s, "bkt", "k"); string(got) != "versioned" {
				t.Fatalf("GET: %q, want the versioned write, the last to commit", got)
			}
			if got := readVersion(t, s, "bkt", "k", "null"); string(got) != "null write" {
				t.Fatalf("GET ?versionId=null: %q", got)
			}
			if got := readVersion(t, s, "bkt", "k", v1); string(got) != "first" {
				t.Fatalf("GET ?versionId=%s: %q", v1, got)
			}
		})
	}
}
