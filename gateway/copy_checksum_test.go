package gateway

import (
	"context"
	"crypto/sha256"
	"testing"

	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// TestCopyChecksum: x-amz-checksum-algorithm on CopyObject gives the
// destination a FULL_OBJECT checksum of that algorithm, computed from the
// decrypted source when the source has none of it (refused, not skipped,
// on a gateway without a key); the source's own is reused; destination
// conditions hold.
func TestCopyChecksum(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	data := randBytes(300<<10 + 5)
	put(t, s, "bkt", "src", data)
	sum := sha256.Sum256(data)

	out, err := s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "sha", Checksum: checksum.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Checksums) != 1 || out.Checksums[checksum.SHA256] != checksum.Encode(sum[:]) {
		t.Fatalf("copy with SHA256: %v, want %s", out.Checksums, checksum.Encode(sum[:]))
	}
	r, err := s.GetObject(ctx, "bkt", "sha")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Info().Checksums; len(got) != 1 || got[checksum.SHA256] != checksum.Encode(sum[:]) {
		t.Fatalf("stored checksums of the copy: %v", got)
	}
	r.Close()
	if got := readAll(t, s, "bkt", "sha"); string(got) != string(data) {
		t.Fatal("copy differs from its source")
	}
	out, err = s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "crc", Checksum: checksum.CRC64NVME})
	if err != nil || out.Checksums[checksum.CRC64NVME] != crc64b64(data) {
		t.Fatalf("copy with the source's own algorithm: %v %v", out, err)
	}

	ingest := e.ingestOnly()
	_, err = ingest.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "x", Checksum: checksum.SHA1})
	wantCode(t, err, "AccessDenied", 403)
	if _, err := ingest.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "x"}); err != nil {
		t.Fatalf("plain copy on an ingest-only gateway: %v", err)
	}

	_, err = s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "sha", Cond: s3api.WriteConditions{IfNoneMatch: true}})
	wantCode(t, err, "PreconditionFailed", 412)
	_, err = s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", DstBucket: "bkt", DstKey: "src", ReplaceMeta: true, Cond: s3api.WriteConditions{IfMatch: "nope"}})
	wantCode(t, err, "PreconditionFailed", 412)
}
