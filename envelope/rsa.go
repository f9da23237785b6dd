package envelope

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// RSA keys below MinRSABits are refused, for recipients and identities.
const (
	MinRSABits = 2048
	maxRSABits = 16384
	genRSABits = 3072
)

type rsaRecipient struct {
	pub *rsa.PublicKey
	der []byte // PKIX SubjectPublicKeyInfo, the key ID input and string form
	id  string
}

func newRSARecipient(pub *rsa.PublicKey) (*rsaRecipient, error) {
	if n := pub.N.BitLen(); n < MinRSABits || n > maxRSABits {
		return nil, fmt.Errorf("envelope: RSA key has %d bits, want %d..%d", n, MinRSABits, maxRSABits)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return &rsaRecipient{pub: pub, der: der, id: keyID(TypeRSAOAEPSHA256, der)}, nil
}

const rsaPubPrefix = "egw-rsa-oaep-sha256:"

func (r *rsaRecipient) Type() string   { return TypeRSAOAEPSHA256 }
func (r *rsaRecipient) KeyID() string  { return r.id }
func (r *rsaRecipient) String() string { return rsaPubPrefix + b64.EncodeToString(r.der) }

func (r *rsaRecipient) Wrap(dataKey []byte) (*Stanza, error) {
	body, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, r.pub, dataKey, wrapLabel(TypeRSAOAEPSHA256, r.id))
	if err != nil {
		return nil, err
	}
	return &Stanza{Type: TypeRSAOAEPSHA256, KeyID: r.id, Body: body}, nil
}

type rsaIdentity struct {
	priv *rsa.PrivateKey
	rcpt *rsaRecipient
}

func newRSAIdentity(priv *rsa.PrivateKey) (*rsaIdentity, error) {
	r, err := newRSARecipient(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &rsaIdentity{priv: priv, rcpt: r}, nil
}

func (i *rsaIdentity) Type() string         { return TypeRSAOAEPSHA256 }
func (i *rsaIdentity) KeyID() string        { return i.rcpt.id }
func (i *rsaIdentity) Recipient() Recipient { return i.rcpt }

func (i *rsaIdentity) Unwrap(s *Stanza) ([]byte, error) {
	if s.Type != TypeRSAOAEPSHA256 || s.KeyID != i.rcpt.id {
		return nil, ErrIncorrectIdentity
	}
	k, err := rsa.DecryptOAEP(sha256.New(), nil, i.priv, s.Body, wrapLabel(TypeRSAOAEPSHA256, i.rcpt.id))
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped key does not open", ErrAuth)
	}
	if len(k) != keySize {
		return nil, fmt.Errorf("%w: wrapped key is %d bytes", ErrFormat, len(k))
	}
	return k, nil
}

// MarshalText writes the key as a PKCS#8 "PRIVATE KEY" PEM block.
func (i *rsaIdentity) MarshalText() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(i.priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
