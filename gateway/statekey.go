package gateway

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// StateKeySize is the length of Config.StateKey.
const StateKeySize = 32

// stateSealer keeps a multipart upload's data key sealed in the backend's
// upload metadata between requests: AES-256-GCM under the state key, a
// random 96-bit nonce per seal (a handful of seals per upload, far below
// the random-nonce bound), stored as nonce || ciphertext || tag.
type stateSealer struct {
	aead cipher.AEAD
}

func newStateSealer(key []byte) (*stateSealer, error) {
	if len(key) != StateKeySize {
		return nil, fmt.Errorf("gateway: state key is %d bytes, want %d", len(key), StateKeySize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &stateSealer{aead: a}, nil
}

// uploadAD binds a sealed data key to its bucket, key and envelope header,
// so that sealed keys cannot be moved between uploads. Fields are length
// prefixed: keys may contain any byte.
func uploadAD(bucket, key string, header []byte) []byte {
	const label = "envelopegw upload data key v1"
	h := sha256.Sum256(header)
	ad := make([]byte, 0, len(label)+12+len(bucket)+len(key)+len(h))
	ad = append(ad, label...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(bucket)))
	ad = append(ad, bucket...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(key)))
	ad = append(ad, key...)
	ad = append(ad, h[:]...)
	return ad
}

func (s *stateSealer) seal(dataKey, ad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(dataKey)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, dataKey, ad)
}

var errStateOpen = errors.New("gateway: the upload's sealed data key does not open under this state key")

func (s *stateSealer) open(sealed, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errStateOpen
	}
	k, err := s.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, errStateOpen
	}
	return k, nil
}
