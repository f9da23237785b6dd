package envelope

import (
	"crypto/sha256"
	"encoding/hex"
)

// Stanza is one wrapped copy of the data key.
type Stanza struct {
	Type  string // "mlkem768x25519", "x25519", "rsa-oaep-sha256"
	KeyID string // hex, names the recipient
	Body  []byte
}

// Recipient seals data keys for one public key.
type Recipient interface {
	Type() string
	KeyID() string
	String() string // the recipient string form, as ParseRecipient reads it
	Wrap(dataKey []byte) (*Stanza, error)
}

// Identity opens data keys sealed for one private key.
type Identity interface {
	Type() string
	KeyID() string
	Recipient() Recipient
	// Unwrap returns ErrIncorrectIdentity when s is not for this identity.
	Unwrap(s *Stanza) ([]byte, error)
	// MarshalText is the identity file form, as ParseIdentities reads it.
	MarshalText() ([]byte, error)
}

// Stanza types.
const (
	TypeMLKEM768X25519 = "mlkem768x25519"
	TypeX25519         = "x25519"
	TypeRSAOAEPSHA256  = "rsa-oaep-sha256"
)

// keyID names a public key: the first 8 bytes of SHA-256 over the stanza
// type, a zero byte and the type's public key encoding, in lowercase hex.
func keyID(typ string, pub []byte) string {
	h := sha256.New()
	h.Write([]byte(typ))
	h.Write([]byte{0})
	h.Write(pub)
	return hex.EncodeToString(h.Sum(nil)[:keyIDSize])
}

// wrapLabel binds a wrapping to the format, the stanza type and the key
// ID, so a wrapped key cannot be moved to another stanza or format.
func wrapLabel(typ, id string) []byte {
	raw, _ := hex.DecodeString(id)
	b := make([]byte, 0, len(labelWrap)+len(typ)+1+len(raw))
	b = append(b, labelWrap...)
	b = append(b, typ...)
	b = append(b, 0)
	return append(b, raw...)
}
