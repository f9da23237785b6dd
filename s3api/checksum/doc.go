// Package checksum implements the integrity checksums S3 clients attach to
// uploads (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256,
// -sha512, -md5, -xxhash64, -xxhash3, -xxhash128) and the two ways S3
// derives an object checksum from the checksums of its parts.
//
// Single objects carry base64 of the big-endian digest. Multipart objects use
// one of two checksum types:
//
//   - COMPOSITE: the digest, with the same algorithm, of the concatenated raw
//     part digests, shown as base64 with "-N" appended (N = number of parts).
//     It is a checksum of checksums, not of the object's bytes; any algorithm
//     works.
//   - FULL_OBJECT: the checksum of the whole object's bytes, as if it had been
//     uploaded in one piece. Only CRCs allow this without reading the parts
//     again: a CRC of A||B can be computed from crc(A), crc(B) and len(B)
//     alone. FullObject does that combination, so completing an upload never
//     reads part data (the design rule for multipart).
//
// CRC combination. The three CRCs here are reflected, start from all ones and
// are inverted at the end. Seen as polynomials over GF(2), appending n zero
// bytes to a message multiplies its (pre-inversion) register by x^(8n) modulo
// the generator; the inversions at both ends cancel when two CRCs are merged,
// which leaves
//
//	crc(A||B) = crc(A)·x^(8·len(B)) mod P  xor  crc(B).
//
// x^(8n) mod P is built by square-and-multiply from a table of x^(2^k) mod P,
// so one combination costs O(log n) carry-less multiplications of at most 64
// bits each, independent of the data size.
//
// Hashing uses the standard library's hardware-accelerated CRC-32 (IEEE and
// Castagnoli), SHA and MD5, github.com/minio/crc64nvme for CRC-64/NVME,
// github.com/cespare/xxhash for XXH64 and github.com/zeebo/xxh3 for XXH3
// (64 and 128 bits), all with seed 0. Every value is base64 of the
// big-endian (canonical) digest. The non-CRC algorithms allow COMPOSITE
// multipart checksums only.
package checksum
