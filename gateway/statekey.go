package gateway

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// StateKeySize is the length of Config.StateKey.
const StateKeySize = 32

// stateSealer seals upload and part attributes (never a data key) under
// the gateway metadata key derived from the state key: AES-256-GCM, a
// random 96-bit nonce per seal (one per upload and per part, far below the
// random-nonce bound), stored as nonce || ciphertext || tag.
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

func (s *stateSealer) seal(value, ad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(value)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, value, ad)
}

var errStateOpen = errors.New("gateway: sealed upload state does not open under this state key")

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
