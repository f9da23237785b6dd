package gateway

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/minio/crc64nvme"

	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

func crc64b64(b []byte) string {
	return checksum.Encode(binary.BigEndian.AppendUint64(nil, crc64nvme.Checksum(b)))
}

// TestDefaultChecksum: an object whose client sent no checksum gets a
// CRC64NVME of its plaintext, as on S3: a PUT, and an upload without an
// algorithm (parts uploaded and copied), combined at Complete without
// reading a part. A client's own checksum is kept instead.
func TestDefaultChecksum(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	data := randBytes(100<<10 + 7)
	out := put(t, s, "bkt", "plain", data)
	if len(out.Checksums) != 1 || out.Checksums[checksum.CRC64NVME] != crc64b64(data) {
		t.Fatalf("PUT without checksum: %v, want CRC64NVME %s", out.Checksums, crc64b64(data))
	}
	r, err := s.GetObject(ctx, "bkt", "plain")
	if err != nil {
		t.Fatal(err)
	}
	if info := r.Info(); info.Checksums[checksum.CRC64NVME] != crc64b64(data) {
		t.Fatalf("stored checksums %v", info.Checksums)
	}
	r.Close()
	own, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "own", Body: newBody(data, checksum.SHA256), Size: int64(len(data))})
	if err != nil || len(own.Checksums) != 1 || own.Checksums[checksum.SHA256] == "" {
		t.Fatalf("PUT with SHA256: %v %v", own, err)
	}

	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "mp"})
	if err != nil {
		t.Fatal(err)
	}
	p1 := randBytes(5 << 20)
	o1 := uploadPart(t, s, "bkt", "mp", id, 1, p1)
	if len(o1.Checksums) != 0 {
		t.Fatalf("UploadPart answers checksums the client did not ask for: %v", o1.Checksums)
	}
	o2, err := s.UploadPartCopy(ctx, &s3api.UploadPartCopyInput{Bucket: "bkt", Key: "mp", UploadID: id, PartNumber: 2,
		SrcBucket: "bkt", SrcKey: "plain", Range: &s3api.ByteRange{First: 10, Last: 5000}})
	if err != nil {
		t.Fatal(err)
	}
	in := &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "mp", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2.ETag}}}
	// A part checksum the part was not uploaded with cannot be verified
	// (S3: BadDigest).
	in.Parts[0].Checksums = s3api.Checksums{checksum.SHA256: checksum.Encode(make([]byte, 32))}
	_, err = s.CompleteMultipartUpload(ctx, in)
	wantCode(t, err, "BadDigest", 400)
	in.Parts[0].Checksums = s3api.Checksums{checksum.CRC64NVME: crc64b64(randBytes(3))}
	_, err = s.CompleteMultipartUpload(ctx, in)
	wantCode(t, err, "InvalidPart", 400)
	in.Parts[0].Checksums = s3api.Checksums{checksum.CRC64NVME: crc64b64(p1)}
	co, err := s.CompleteMultipartUpload(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	whole := append(append([]byte(nil), p1...), data[10:5001]...)
	if co.Checksums[checksum.CRC64NVME] != crc64b64(whole) || co.ChecksumType != s3api.ChecksumTypeFullObject {
		t.Fatalf("Complete: %v %s, want CRC64NVME %s FULL_OBJECT", co.Checksums, co.ChecksumType, crc64b64(whole))
	}
}

// TestCompleteChecksumType: x-amz-checksum-type on Complete must be the
// upload's (BadDigest otherwise, as S3); an upload without an algorithm
// is FULL_OBJECT through its default checksum.
func TestCompleteChecksumType(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	for _, tc := range []struct{ alg, typ, sent, want string }{
		{"", "", s3api.ChecksumTypeComposite, "InvalidRequest"},
		{"", "", s3api.ChecksumTypeFullObject, ""},
		{checksum.SHA256, s3api.ChecksumTypeComposite, s3api.ChecksumTypeFullObject, "InvalidRequest"},
		{checksum.CRC32, s3api.ChecksumTypeFullObject, s3api.ChecksumTypeFullObject, ""},
	} {
		id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k", ChecksumAlgorithm: tc.alg, ChecksumType: tc.typ})
		if err != nil {
			t.Fatal(err)
		}
		data := randBytes(100)
		var algs []string
		if tc.alg != "" {
			algs = append(algs, tc.alg)
		}
		p := uploadPart(t, s, "bkt", "k", id, 1, data, algs...)
		_, err = s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "k", UploadID: id,
			Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: p.ETag}}, ChecksumType: tc.sent})
		if tc.want == "" {
			if err != nil {
				t.Fatalf("%+v: %v", tc, err)
			}
			continue
		}
		wantCode(t, err, tc.want, 400)
	}
}
