package gateway

import (
	"hash"
	"io"

	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// S3 stores a whole-object CRC64NVME for every new object whose client
// sent no checksum (its default since December 2024), and current SDKs
// read it back with checksum mode ENABLED. The gateway does the same:
// PutObject hashes the plaintext with CRC64NVME as it streams (the CRC is
// hardware-accelerated, cheap next to the cipher) and keeps it when the
// client declared nothing; every part of an upload created without an
// algorithm keeps its own CRC64NVME, which Complete combines into the
// object's FULL_OBJECT checksum without reading a part (as for a
// client-chosen CRC). Answers to a request carry only what the client
// asked for, except the object-level results (PutObject, Complete, HEAD
// and GET with checksum mode), which carry the default as S3's do.
const defaultChecksum = checksum.CRC64NVME

// withDefaultChecksum tees body through a default-checksum hash.
func withDefaultChecksum(body s3api.Body) (s3api.Body, hash.Hash) {
	h, _ := checksum.New(defaultChecksum)
	return teeBody{body, io.TeeReader(body, h)}, h
}

// declaredChecksum is the checksum algorithm the client declared for
// body, "" when none or when the Body cannot tell. Its verified value is
// in the body's Sums once read, so the gateway need not compute another:
// a single PUT keeps the client's checksum instead of the default, and a
// CRC the client sends is the CRC the gateway would have computed.
func declaredChecksum(body s3api.Body) string {
	if d, ok := body.(s3api.ChecksumDeclarer); ok {
		return d.DeclaredChecksum()
	}
	return ""
}

// objectChecksums returns the client's verified checksums, or the default
// computed by h when the client declared none.
func objectChecksums(client s3api.Checksums, h hash.Hash) s3api.Checksums {
	if len(client) > 0 || h == nil {
		return client
	}
	return s3api.Checksums{defaultChecksum: checksum.Encode(h.Sum(nil))}
}

// partChecksumsToStore adds the default checksum (from h) to the checksums
// a part of an upload without an algorithm stores, so Complete can give
// the object its default checksum.
func partChecksumsToStore(client s3api.Checksums, h hash.Hash) s3api.Checksums {
	cs := s3api.Checksums{}
	for a, v := range client {
		cs[a] = v
	}
	if h != nil && cs[defaultChecksum] == "" {
		cs[defaultChecksum] = checksum.Encode(h.Sum(nil))
	}
	return cs
}

// defaultObjectChecksum combines the parts' stored default checksums
// into the object's FULL_OBJECT one; "" when a part has none (it was
// uploaded by a gateway that did not keep one).
func defaultObjectChecksum(partSums []s3api.Checksums, sizes []int64) string {
	parts := make([]checksum.Part, len(partSums))
	for i, cs := range partSums {
		d, err := checksum.Decode(defaultChecksum, cs[defaultChecksum])
		if err != nil {
			return ""
		}
		parts[i] = checksum.Part{Digest: d, Size: sizes[i]}
	}
	v, err := checksum.FullObject(defaultChecksum, parts)
	if err != nil {
		return ""
	}
	return v
}
