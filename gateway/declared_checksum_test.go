package gateway

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// declaredBody is a testBody that, like s3api's bodies, says which
// checksum its client declared.
type declaredBody struct {
	*testBody
	alg string
}

func (d declaredBody) DeclaredChecksum() string { return d.alg }

// TestDeclaredChecksumUsedOnce: when the client declared a checksum, the
// gateway computes no default of its own (s3api verified the client's),
// and what it stores is the same as when it computed one: a PUT keeps the
// client's checksum, and an upload without an algorithm whose part the
// client sent with CRC64NVME (and one with CRC32) still completes with the right FULL_OBJECT
// CRC64NVME.
func TestDeclaredChecksumUsedOnce(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	data := randBytes(300<<10 + 3)
	crc := checksum.Encode(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data)))
	out, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "crc32", Size: int64(len(data)),
		Body: declaredBody{newBody(data, checksum.CRC32), checksum.CRC32}})
	if err != nil || len(out.Checksums) != 1 || out.Checksums[checksum.CRC32] != crc {
		t.Fatalf("PUT declaring CRC32: %+v %v, want only CRC32 %s", out, err, crc)
	}
	r, err := s.GetObject(ctx, "bkt", "crc32")
	if err != nil {
		t.Fatal(err)
	}
	if info := r.Info(); len(info.Checksums) != 1 || info.Checksums[checksum.CRC32] != crc {
		t.Errorf("stored checksums %v, want only CRC32 %s", info.Checksums, crc)
	}
	r.Close()

	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "mp"})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := randBytes(5<<20), randBytes(70<<10)
	o1, err := s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: "mp", UploadID: id, PartNumber: 1, Size: int64(len(p1)),
		Body: declaredBody{newBody(p1, checksum.CRC64NVME), checksum.CRC64NVME}})
	if err != nil || o1.Checksums[checksum.CRC64NVME] != crc64b64(p1) {
		t.Fatalf("part declaring CRC64NVME: %+v %v", o1, err)
	}
	// A part whose client declared another CRC still gets the default
	// computed: Complete needs every part's CRC64NVME.
	o2, err := s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: "mp", UploadID: id, PartNumber: 2, Size: int64(len(p2)),
		Body: declaredBody{newBody(p2, checksum.CRC32), checksum.CRC32}})
	if err != nil {
		t.Fatal(err)
	}
	co, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "mp", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2.ETag}}})
	if err != nil {
		t.Fatal(err)
	}
	whole := append(append([]byte(nil), p1...), p2...)
	if co.Checksums[checksum.CRC64NVME] != crc64b64(whole) || co.ChecksumType != s3api.ChecksumTypeFullObject {
		t.Fatalf("Complete: %v %s, want CRC64NVME %s FULL_OBJECT", co.Checksums, co.ChecksumType, crc64b64(whole))
	}
}
