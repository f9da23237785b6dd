package envelope

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// hkdfPartKey derives a part key exactly as FORMAT.md writes it, apart
// from the implementation's partAEAD.
func hkdfPartKey(t testing.TB, data []byte, salt [saltSize]byte, n int) []byte {
	info := binary.BigEndian.AppendUint32([]byte("envelopegw v1 part key"), uint32(n))
	k, err := hkdf.Key(sha256.New, data, salt[:], string(info), 32)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
