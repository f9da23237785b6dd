package gateway

import (
	"io"

	"envelopegw/backend"
	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// copyChecksum settles the checksum of a copy's destination and records
// it in meta (the destination's metadata, cloned from the source's).
//
// Without x-amz-checksum-algorithm the source's checksums carry over, as
// the ciphertext does; a source that has none (stored before the gateway
// kept a default) gets the default CRC64NVME, as S3 gives copies, when
// this gateway can decrypt it, and stays without one otherwise.
//
// With it, the destination gets a FULL_OBJECT checksum of that algorithm:
// the source's own when it has one of that kind, else one computed from
// the decrypted source (read from the same open version that is copied).
// That needs an identity; without one the copy is refused
// (ErrNoDecryptionKey) rather than stored without the checksum asked for.
func (s *Service) copyChecksum(o op, src backend.Object, so *storedObject, meta backend.Meta, alg string) (s3api.Checksums, string, error) {
	cur := so.info.Checksums
	if alg == "" {
		if len(cur) > 0 || len(s.keySet().identities) == 0 {
			return cur, so.info.ChecksumType, nil
		}
		alg = defaultChecksum
	}
	v := cur[alg]
	if v == "" || so.info.ChecksumType == s3api.ChecksumTypeComposite {
		var err error
		if v, err = s.plaintextChecksum(o, src, so, alg); err != nil {
			return nil, "", err
		}
	}
	for _, a := range checksum.Algorithms {
		delete(meta, mChecksumPrefix+a)
	}
	cs := s3api.Checksums{alg: v}
	putChecksums(meta, cs)
	typ := ""
	delete(meta, mChecksumType)
	if so.info.PartsCount > 0 {
		typ = s3api.ChecksumTypeFullObject
		meta[mChecksumType] = typ
	}
	return cs, typ, nil
}

// plaintextChecksum hashes the decrypted bytes of the open source with
// alg, streaming.
func (s *Service) plaintextChecksum(o op, src backend.Object, so *storedObject, alg string) (string, error) {
	h, err := checksum.New(alg)
	if err != nil {
		return "", s3api.ErrInvalidRequest.WithMessage("Checksum algorithm provided is unsupported: %q.", alg)
	}
	r := &objectReader{s: s, o: o, obj: src, so: so} // not closed: the caller owns src
	rc, err := r.ReadRange(0, so.info.Size)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	bp := bufPool.Get().(*[]byte)
	_, err = io.CopyBuffer(h, struct{ io.Reader }{rc}, *bp)
	bufPool.Put(bp)
	if err != nil {
		return "", s.fail(o, err)
	}
	return checksum.Encode(h.Sum(nil)), nil
}
