package envelope

import (
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/base64"
	"fmt"
)

// hpkeSuite is one HPKE-based stanza type: a KEM with HKDF-SHA256 and
// AES-256-GCM, single-shot mode, info = wrapLabel(type, key ID).
type hpkeSuite struct {
	typ       string
	kem       func() hpke.KEM
	pubPrefix string // recipient string prefix
	secPrefix string // identity line prefix
}

var (
	suiteMLKEM = &hpkeSuite{TypeMLKEM768X25519, hpke.MLKEM768X25519, "egw-mlkem768x25519:", "EGW-SECRET-MLKEM768X25519:"}
	suiteX     = &hpkeSuite{TypeX25519, func() hpke.KEM { return hpke.DHKEM(ecdh.X25519()) }, "egw-x25519:", "EGW-SECRET-X25519:"}
)

var b64 = base64.RawURLEncoding.Strict()

type hpkeRecipient struct {
	suite *hpkeSuite
	pub   hpke.PublicKey
	id    string
}

func newHPKERecipient(s *hpkeSuite, pubBytes []byte) (*hpkeRecipient, error) {
	pub, err := s.kem().NewPublicKey(pubBytes)
	if err != nil {
		return nil, fmt.Errorf("envelope: invalid %s public key: %w", s.typ, err)
	}
	return &hpkeRecipient{suite: s, pub: pub, id: keyID(s.typ, pub.Bytes())}, nil
}

func (r *hpkeRecipient) Type() string   { return r.suite.typ }
func (r *hpkeRecipient) KeyID() string  { return r.id }
func (r *hpkeRecipient) String() string { return r.suite.pubPrefix + b64.EncodeToString(r.pub.Bytes()) }

func (r *hpkeRecipient) Wrap(dataKey []byte) (*Stanza, error) {
	body, err := hpke.Seal(r.pub, hpke.HKDFSHA256(), hpke.AES256GCM(), wrapLabel(r.suite.typ, r.id), dataKey)
	if err != nil {
		return nil, err
	}
	return &Stanza{Type: r.suite.typ, KeyID: r.id, Body: body}, nil
}

type hpkeIdentity struct {
	suite *hpkeSuite
	priv  hpke.PrivateKey
	rcpt  *hpkeRecipient
}

func newHPKEIdentity(s *hpkeSuite, priv hpke.PrivateKey) (*hpkeIdentity, error) {
	r, err := newHPKERecipient(s, priv.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	return &hpkeIdentity{suite: s, priv: priv, rcpt: r}, nil
}

func parseHPKEIdentity(s *hpkeSuite, b []byte) (*hpkeIdentity, error) {
	priv, err := s.kem().NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("envelope: invalid %s private key: %w", s.typ, err)
	}
	return newHPKEIdentity(s, priv)
}

func (i *hpkeIdentity) Type() string         { return i.suite.typ }
func (i *hpkeIdentity) KeyID() string        { return i.rcpt.id }
func (i *hpkeIdentity) Recipient() Recipient { return i.rcpt }

func (i *hpkeIdentity) Unwrap(s *Stanza) ([]byte, error) {
	if s.Type != i.suite.typ || s.KeyID != i.rcpt.id {
		return nil, ErrIncorrectIdentity
	}
	k, err := hpke.Open(i.priv, hpke.HKDFSHA256(), hpke.AES256GCM(), wrapLabel(i.suite.typ, i.rcpt.id), s.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: wrapped key does not open", ErrAuth)
	}
	if len(k) != keySize {
		return nil, fmt.Errorf("%w: wrapped key is %d bytes", ErrFormat, len(k))
	}
	return k, nil
}

func (i *hpkeIdentity) MarshalText() ([]byte, error) {
	b, err := i.priv.Bytes()
	if err != nil {
		return nil, err
	}
	return []byte(i.suite.secPrefix + b64.EncodeToString(b)), nil
}
