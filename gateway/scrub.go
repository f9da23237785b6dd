package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"envelopegw/backend"
	"envelopegw/envelope"
)

// Scrub verdicts.
const (
	ScrubOK       = ""
	ScrubDamaged  = "damaged"  // a valid signed record whose stored bytes do not match it
	ScrubForged   = "forged"   // no valid signature by a trusted signer for this name
	ScrubOrphaned = "orphaned" // not a gateway object, or an upload abandoned on the volume
)

// ScrubObject checks bucket/key without any private key: the record's
// signature by a trusted signer, that it names bucket/key, the header and
// table hashes, the stored size, and every stored ciphertext byte against
// the signed per-part SHA-256. It returns the verdict, the bytes read and
// why; a backend error (not a verdict) is returned as err.
func (s *Service) ScrubObject(ctx context.Context, bucket, key string) (verdict string, read int64, why string, err error) {
	obj, err := s.be.Open(ctx, bucket, key)
	if err != nil {
		return "", 0, "", err
	}
	defer obj.Close()
	bi := obj.Info()
	// A noncurrent version is verified under the key its record names.
	rk, _, ok := UserKey(key)
	if !ok || IsDeleteMarker(bi.Meta) {
		return ScrubOK, 0, "", nil // the bucket's configuration, a delete marker: no data
	}
	switch bi.Meta[mVersion] {
	case metaV2:
	case metaVersion:
		return ScrubForged, 0, "format v1 object: no signature", nil
	default:
		return ScrubOrphaned, 0, "not an object this gateway wrote (no known metadata layout)", nil
	}
	rb, err := getBytes(bi.Meta, mRecord)
	if err != nil {
		return ScrubForged, 0, err.Error(), nil
	}
	rec, err := envelope.OpenSignedRecord(rb, s.trustedSigners())
	if err != nil {
		return ScrubForged, 0, err.Error(), nil
	}
	if rec.Bucket != bucket || rec.Key != rk {
		return ScrubForged, 0, fmt.Sprintf("the record was signed for %s/%s", rec.Bucket, rec.Key), nil
	}
	hb, err := getBytes(bi.Meta, mHeader)
	if err != nil {
		return ScrubDamaged, 0, err.Error(), nil
	}
	tb, err := getBytes(bi.Meta, mTable)
	if err != nil {
		return ScrubDamaged, 0, err.Error(), nil
	}
	if err := rec.Check(bucket, rk, hb, tb); err != nil {
		return ScrubDamaged, 0, err.Error(), nil
	}
	h, err := envelope.ParseHeader(hb)
	if err != nil {
		return ScrubDamaged, 0, err.Error(), nil
	}
	sizes, err := rec.PartStoredSizes(tb, h.SegmentSize())
	if err != nil {
		return ScrubDamaged, 0, err.Error(), nil
	}
	if want := sum64(sizes); bi.Size != want {
		return ScrubDamaged, 0, fmt.Sprintf("%d bytes stored, the record implies %d", bi.Size, want), nil
	}
	return scrubParts(obj, rec, sizes)
}

func sum64(v []int64) int64 {
	var n int64
	for _, x := range v {
		n += x
	}
	return n
}

// scrubParts hashes each part's stored ciphertext and compares it with the
// signed digest.
func scrubParts(obj backend.Object, rec *envelope.Record, sizes []int64) (string, int64, string, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	var off int64
	for i, p := range rec.Parts {
		n := sizes[i]
		h := sha256.New()
		got, err := io.CopyBuffer(h, io.NewSectionReader(obj, off, n), *bp)
		off += got
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return ScrubDamaged, off, fmt.Sprintf("part %d is short", i+1), nil
			}
			return "", off, "", fmt.Errorf("reading part %d: %w", i+1, err)
		}
		if got != n {
			return ScrubDamaged, off, fmt.Sprintf("part %d is %d bytes, want %d", i+1, got, n), nil
		}
		if subtle.ConstantTimeCompare(h.Sum(nil), p.Digest[:]) != 1 {
			return ScrubDamaged, off, fmt.Sprintf("part %d: stored ciphertext does not match its signed SHA-256", i+1), nil
		}
	}
	return ScrubOK, off, "", nil
}
