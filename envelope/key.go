package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// Key is an unwrapped data key with its derived subkeys. It never leaves
// memory except through Export. A Key is immutable and safe for
// concurrent use: parts may be written and ranges read in parallel.
type Key struct {
	data        [keySize]byte
	headerSalt  [saltSize]byte
	segmentSize int
	commitment  [commitSize]byte
	headerMAC   [keySize]byte
	tableMAC    [keySize]byte
	// identities that unwrapped the key: they open the part headers of
	// an object whose parts have their own data keys (table version 2).
	identities []Identity
}

// deriveKey expands a data key into the header-level subkeys of FORMAT.md
// "Key schedule". Each value has its own HKDF label.
func deriveKey(data []byte, headerSalt [saltSize]byte, segmentSize int) (*Key, error) {
	if len(data) != keySize {
		return nil, fmt.Errorf("envelope: data key is %d bytes, want %d", len(data), keySize)
	}
	k := &Key{headerSalt: headerSalt, segmentSize: segmentSize}
	copy(k.data[:], data)
	// HKDF-Key is Expand(Extract(salt, key), label): the three subkeys
	// share one salt and key, so one Extract serves them all (the same
	// bytes, a third of the HMAC set-ups of a small PUT's key schedule).
	prk, err := hkdf.Extract(sha256.New, k.data[:], k.headerSalt[:])
	if err != nil {
		return nil, fmt.Errorf("envelope: deriving the header keys: %w", err)
	}
	defer clear(prk)
	for _, d := range []struct {
		dst   []byte
		label string
	}{
		{k.commitment[:], labelCommit},
		{k.headerMAC[:], labelHeaderMAC},
		{k.tableMAC[:], labelTableMAC},
	} {
		v, err := hkdf.Expand(sha256.New, prk, d.label, len(d.dst))
		if err != nil {
			return nil, fmt.Errorf("envelope: deriving %s: %w", d.label, err)
		}
		copy(d.dst, v)
		clear(v)
	}
	return k, nil
}

// commits reports, in constant time, whether the key matches commitment c.
func (k *Key) commits(c [commitSize]byte) bool {
	return subtle.ConstantTimeCompare(k.commitment[:], c[:]) == 1
}

// partAEAD derives the AEAD of one part version: HKDF-SHA256 keyed by the
// data key, salted by the part salt, with the part number in the info.
func (k *Key) partAEAD(number int, salt [saltSize]byte) (cipher.AEAD, error) {
	info := make([]byte, 0, len(labelPart)+4)
	info = append(info, labelPart...)
	info = binary.BigEndian.AppendUint32(info, uint32(number))
	pk, err := hkdf.Key(sha256.New, k.data[:], salt[:], string(info), keySize)
	if err != nil {
		return nil, fmt.Errorf("envelope: deriving key of part %d: %w", number, err)
	}
	b, err := aes.NewCipher(pk)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// mac is HMAC-SHA256 under key over msg.
func mac(key []byte, msg []byte) [macSize]byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	var out [macSize]byte
	h.Sum(out[:0])
	return out
}

// Export returns the raw data key, for callers that must keep it sealed
// under their own key between requests (multipart upload state).
func (k *Key) Export() []byte {
	out := make([]byte, keySize)
	copy(out, k.data[:])
	return out
}

// SegmentSize is the plaintext segment size of the envelope the key belongs to.
func (k *Key) SegmentSize() int { return k.segmentSize }

// ImportKey rebuilds a Key from Export's bytes, checking it against h's
// commitment and header MAC (ErrAuth on mismatch).
func ImportKey(h *Header, raw []byte) (*Key, error) {
	k, err := deriveKey(raw, h.salt, h.segmentSize)
	if err != nil {
		return nil, err
	}
	if err := h.verify(k); err != nil {
		return nil, err
	}
	return k, nil
}

func randomSalt() ([saltSize]byte, error) {
	var s [saltSize]byte
	_, err := rand.Read(s[:])
	return s, err
}
