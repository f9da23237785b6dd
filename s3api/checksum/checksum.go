package checksum

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/minio/crc64nvme"
	"github.com/zeebo/xxh3"
)

// Algorithm names as S3 spells them in XML and in x-amz-checksum-algorithm
// (header names use the lower-case form).
const (
	CRC32     = "CRC32"
	CRC32C    = "CRC32C"
	CRC64NVME = "CRC64NVME"
	SHA1      = "SHA1"
	SHA256    = "SHA256"
	SHA512    = "SHA512"
	MD5       = "MD5"
	XXHASH64  = "XXHASH64"
	XXHASH3   = "XXHASH3"
	XXHASH128 = "XXHASH128"
)

// Algorithms lists every supported algorithm, in the order S3 documents
// them. Read it; never modify it.
var Algorithms = []string{CRC32, CRC32C, CRC64NVME, SHA1, SHA256, SHA512, MD5, XXHASH64, XXHASH3, XXHASH128}

// ErrUnknownAlgorithm is returned for an algorithm name that is not one of
// the constants above.
var ErrUnknownAlgorithm = errors.New("checksum: unknown algorithm")

// ErrInvalidValue is returned by Decode for a value that is not base64 of a
// digest of the algorithm's size.
var ErrInvalidValue = errors.New("checksum: invalid checksum value")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Canonical returns the algorithm constant for name in any letter case
// ("crc32c" -> CRC32C), or "" if name is not a supported algorithm.
func Canonical(name string) string {
	for _, a := range Algorithms {
		if strings.EqualFold(a, name) {
			return a
		}
	}
	return ""
}

// Valid reports whether alg is one of the algorithm constants (exact case).
func Valid(alg string) bool { return Size(alg) != 0 }

// IsCRC reports whether alg is one of the CRC algorithms, the only ones that
// support the FULL_OBJECT multipart checksum type.
func IsCRC(alg string) bool {
	return alg == CRC32 || alg == CRC32C || alg == CRC64NVME
}

// New returns a fresh hash for alg. Sum appends the big-endian digest, the
// byte order S3 base64-encodes.
func New(alg string) (hash.Hash, error) {
	switch alg {
	case CRC32:
		return crc32.NewIEEE(), nil
	case CRC32C:
		return crc32.New(castagnoli), nil
	case CRC64NVME:
		return crc64nvme.New(), nil
	case SHA1:
		return sha1.New(), nil
	case SHA256:
		return sha256.New(), nil
	case SHA512:
		return sha512.New(), nil
	case MD5:
		return md5.New(), nil
	case XXHASH64:
		return xxhash.New(), nil
	case XXHASH3:
		return xxh3.New(), nil
	case XXHASH128:
		return xxh128{xxh3.New()}, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownAlgorithm, alg)
}

// Size returns the digest length in bytes of alg, or 0 if alg is unknown.
func Size(alg string) int {
	switch alg {
	case CRC32, CRC32C:
		return 4
	case CRC64NVME:
		return 8
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	case SHA512:
		return sha512.Size
	case MD5:
		return md5.Size
	case XXHASH64, XXHASH3:
		return 8
	case XXHASH128:
		return 16
	}
	return 0
}

// xxh128 is XXH3's 128-bit digest as a hash.Hash: the streaming state is
// XXH3's; only Sum differs (the canonical big-endian 16 bytes, high half
// first, as S3 and xxhsum show it).
type xxh128 struct{ *xxh3.Hasher }

func (h xxh128) Size() int { return 16 }

func (h xxh128) Sum(b []byte) []byte {
	d := h.Sum128().Bytes()
	return append(b, d[:]...)
}

// HeaderName returns the request/response header carrying alg's checksum,
// e.g. "x-amz-checksum-crc32", or "" if alg is unknown.
func HeaderName(alg string) string {
	if !Valid(alg) {
		return ""
	}
	return "x-amz-checksum-" + strings.ToLower(alg)
}

// FromHeaderName is the inverse of HeaderName, accepting any letter case;
// it returns "" for a name that is not a checksum header.
func FromHeaderName(name string) string {
	const prefix = "x-amz-checksum-"
	if len(name) <= len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return ""
	}
	return Canonical(name[len(prefix):])
}

// Encode returns the S3 text form of a digest: standard base64 with padding.
func Encode(digest []byte) string {
	return base64.StdEncoding.EncodeToString(digest)
}

// Decode parses a single-object checksum value of algorithm alg (base64 of
// exactly Size(alg) bytes).
func Decode(alg, value string) ([]byte, error) {
	n := Size(alg)
	if n == 0 {
		return nil, fmt.Errorf("%w %q", ErrUnknownAlgorithm, alg)
	}
	d, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(d) != n {
		return nil, fmt.Errorf("%w: %s value %q is not base64 of %d bytes", ErrInvalidValue, alg, value, n)
	}
	return d, nil
}

// Composite returns the COMPOSITE multipart checksum: base64 of alg's digest
// of the concatenated part digests, followed by "-N". It returns "" if alg
// is unknown. Whether S3 allows the combination (it does not for CRC64NVME)
// is the caller's policy.
func Composite(alg string, partDigests [][]byte) string {
	h, err := New(alg)
	if err != nil {
		return ""
	}
	for _, d := range partDigests {
		h.Write(d)
	}
	return Encode(h.Sum(nil)) + "-" + strconv.Itoa(len(partDigests))
}

// Part is one part's digest (raw big-endian bytes) and plaintext length, the
// inputs of a FULL_OBJECT combination.
type Part struct {
	Digest []byte
	Size   int64
}

// FullObject returns the FULL_OBJECT checksum (base64, no suffix) of the
// concatenation of parts, computed from their CRCs and sizes alone. It fails
// for SHA algorithms, for no parts, and for digests of the wrong length.
func FullObject(alg string, parts []Part) (string, error) {
	var c *crcModel
	switch alg {
	case CRC32:
		c = crc32Model
	case CRC32C:
		c = crc32cModel
	case CRC64NVME:
		c = crc64nvmeModel
	default:
		if Valid(alg) {
			return "", fmt.Errorf("checksum: %s cannot be combined into a full-object checksum (CRC algorithms only)", alg)
		}
		return "", fmt.Errorf("%w %q", ErrUnknownAlgorithm, alg)
	}
	if len(parts) == 0 {
		return "", errors.New("checksum: full-object checksum of zero parts")
	}
	var acc uint64
	for i, p := range parts {
		if len(p.Digest) != c.bytes {
			return "", fmt.Errorf("%w: part %d: %s digest is %d bytes, want %d", ErrInvalidValue, i+1, alg, len(p.Digest), c.bytes)
		}
		if p.Size < 0 {
			return "", fmt.Errorf("checksum: part %d: negative size %d", i+1, p.Size)
		}
		v := beUint(p.Digest)
		if i == 0 {
			acc = v
			continue
		}
		acc = c.combine(acc, v, p.Size)
	}
	return Encode(c.put(acc)), nil
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}
