package envelope

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"strings"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// TypeSignEd25519MLDSA65 is the signature type of format v2: a signature
// is valid only when both an Ed25519 and an ML-DSA-65 signature over the
// same message verify, so it stays sound if either scheme breaks.
const TypeSignEd25519MLDSA65 = "ed25519-mldsa65"

// Sizes of the hybrid signature scheme, in bytes.
const (
	SignSeedSize   = 32
	SignerKeySize  = ed25519.PublicKeySize + mldsa65.PublicKeySize // 1984
	SignatureSize  = ed25519.SignatureSize + mldsa65.SignatureSize // 3373
	signSecretHead = "EGW-SIGN-SECRET-ED25519-MLDSA65:"
	signerHead     = "egw-sign-ed25519-mldsa65:"
	labelSignEd    = "envelopegw v2 sign ed25519"
	labelSignML    = "envelopegw v2 sign mldsa65"
	labelSignature = "envelopegw v2 signature"
)

// ErrSignature reports a signature that does not verify, or one made by a
// key the reader does not trust. It wraps ErrAuth.
var ErrSignature = fmt.Errorf("%w: signature", ErrAuth)

// SigningKey is a private signing key: a 32-byte seed from which both
// component keys are derived.
type SigningKey struct {
	seed [SignSeedSize]byte
	ed   ed25519.PrivateKey
	ml   *mldsa65.PrivateKey
	pub  *SignerKey
}

// SignerKey is the public half of a SigningKey, which readers trust.
type SignerKey struct {
	ed  ed25519.PublicKey
	ml  *mldsa65.PublicKey
	raw []byte // ed || ml
	id  string
}

// GenerateSigningKey draws a new signing key.
func GenerateSigningKey() (*SigningKey, error) {
	seed := make([]byte, SignSeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	return NewSigningKey(seed)
}

// NewSigningKey derives a signing key from its 32-byte seed:
//
//	Ed25519 seed   = HKDF(seed, "", "envelopegw v2 sign ed25519", 32)
//	ML-DSA-65 seed = HKDF(seed, "", "envelopegw v2 sign mldsa65", 32)
func NewSigningKey(seed []byte) (*SigningKey, error) {
	if len(seed) != SignSeedSize {
		return nil, fmt.Errorf("%w: signing key seed is %d bytes, want %d", ErrFormat, len(seed), SignSeedSize)
	}
	k := &SigningKey{}
	copy(k.seed[:], seed)
	es, err := hkdf.Key(sha256.New, seed, nil, labelSignEd, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	ms, err := hkdf.Key(sha256.New, seed, nil, labelSignML, mldsa65.SeedSize)
	if err != nil {
		return nil, err
	}
	k.ed = ed25519.NewKeyFromSeed(es)
	mpub, mpriv := mldsa65.NewKeyFromSeed((*[mldsa65.SeedSize]byte)(ms))
	clear(es)
	clear(ms)
	k.ml = mpriv
	raw := append([]byte(nil), k.ed.Public().(ed25519.PublicKey)...)
	mb, _ := mpub.MarshalBinary()
	raw = append(raw, mb...)
	k.pub, err = newSignerKey(raw)
	if err != nil {
		return nil, err
	}
	return k, nil
}

func newSignerKey(raw []byte) (*SignerKey, error) {
	if len(raw) != SignerKeySize {
		return nil, fmt.Errorf("%w: signer key is %d bytes, want %d", ErrFormat, len(raw), SignerKeySize)
	}
	var ml mldsa65.PublicKey
	if err := ml.UnmarshalBinary(raw[ed25519.PublicKeySize:]); err != nil {
		return nil, fmt.Errorf("%w: ML-DSA-65 public key: %v", ErrFormat, err)
	}
	raw = bytes.Clone(raw)
	return &SignerKey{
		ed:  ed25519.PublicKey(raw[:ed25519.PublicKeySize]),
		ml:  &ml,
		raw: raw,
		id:  keyID(TypeSignEd25519MLDSA65, raw),
	}, nil
}

// Public returns the key readers trust.
func (k *SigningKey) Public() *SignerKey { return k.pub }

// KeyID names the key (the key ID of its public half).
func (k *SigningKey) KeyID() string { return k.pub.id }

// signedMessage is what both component schemes sign: a label, a zero
// byte, then the message.
func signedMessage(msg []byte) []byte {
	m := make([]byte, 0, len(labelSignature)+1+len(msg))
	m = append(m, labelSignature...)
	m = append(m, 0)
	return append(m, msg...)
}

// Sign returns the hybrid signature of msg: Ed25519 (64 bytes) then
// ML-DSA-65 (3309 bytes, hedged signing, empty context), both over
// "envelopegw v2 signature" || 0x00 || msg.
func (k *SigningKey) Sign(msg []byte) ([]byte, error) {
	m := signedMessage(msg)
	sig := make([]byte, SignatureSize)
	copy(sig, ed25519.Sign(k.ed, m))
	if err := mldsa65.SignTo(k.ml, m, nil, true, sig[ed25519.SignatureSize:]); err != nil {
		return nil, fmt.Errorf("envelope: ML-DSA-65 signing: %w", err)
	}
	return sig, nil
}

// MarshalText is the signing key file form.
func (k *SigningKey) MarshalText() ([]byte, error) {
	return []byte(signSecretHead + b64.EncodeToString(k.seed[:]) + "\n"), nil
}

// KeyID names the key: the first 8 bytes of SHA-256 over the type, a
// zero byte and the 1984-byte public key, in lowercase hex.
func (p *SignerKey) KeyID() string { return p.id }

// Bytes returns the public key encoding: Ed25519 (32) || ML-DSA-65 (1952).
func (p *SignerKey) Bytes() []byte { return bytes.Clone(p.raw) }

// String is the text form, as ParseSignerKey reads it.
func (p *SignerKey) String() string { return signerHead + b64.EncodeToString(p.raw) }

// Verify checks sig over msg; both component signatures must verify.
func (p *SignerKey) Verify(msg, sig []byte) error {
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrSignature, len(sig), SignatureSize)
	}
	m := signedMessage(msg)
	edOK := ed25519.Verify(p.ed, m, sig[:ed25519.SignatureSize])
	mlOK := mldsa65.Verify(p.ml, m, nil, sig[ed25519.SignatureSize:])
	if !edOK || !mlOK {
		return fmt.Errorf("%w does not verify under signer %s", ErrSignature, p.id)
	}
	return nil
}

// Equal reports whether p and q are the same key.
func (p *SignerKey) Equal(q *SignerKey) bool {
	return q != nil && subtle.ConstantTimeCompare(p.raw, q.raw) == 1
}

// ParseSignerKey reads the text form egw-sign-ed25519-mldsa65:<base64>.
func ParseSignerKey(s string) (*SignerKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), signerHead)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a signer key (want %s...)", ErrFormat, abbreviate(s), signerHead)
	}
	raw, err := b64.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: signer key: %v", ErrFormat, err)
	}
	return newSignerKey(raw)
}

// ParseSigningKey reads the private text form
// EGW-SIGN-SECRET-ED25519-MLDSA65:<base64 seed>.
func ParseSigningKey(s string) (*SigningKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), signSecretHead)
	if !ok {
		return nil, fmt.Errorf("%w: not a signing key (want %s...)", ErrFormat, signSecretHead)
	}
	seed, err := b64.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: signing key: %v", ErrFormat, err)
	}
	defer clear(seed)
	return NewSigningKey(seed)
}

// ParseSigningKeyFile reads a signing key file: exactly one key line;
// blank lines and lines starting with '#' are ignored.
func ParseSigningKeyFile(r io.Reader) (*SigningKey, error) {
	var key *SigningKey
	err := scanLines(r, func(line int, text string) error {
		if key != nil {
			return fmt.Errorf("%w: line %d: a signing key file holds one key", ErrFormat, line)
		}
		k, err := ParseSigningKey(text)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		key = k
		return nil
	})
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no signing key in file", ErrFormat)
	}
	return key, nil
}

// ParseSignerKeys reads signer (public) keys, one per line; blank lines and
// lines starting with '#' are ignored.
func ParseSignerKeys(r io.Reader) ([]*SignerKey, error) {
	var out []*SignerKey
	err := scanLines(r, func(line int, text string) error {
		k, err := ParseSignerKey(text)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, k)
		return nil
	})
	return out, err
}

// scanLines calls fn for every line that is neither blank nor a comment.
// Lines of key files are long (a signer key is 2,646 characters).
func scanLines(r io.Reader, fn func(line int, text string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 8<<10), 64<<10)
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if err := fn(n, t); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: reading key file: %v", ErrFormat, err)
	}
	return nil
}

// Signers is a set of trusted signer keys.
type Signers []*SignerKey

// Find returns the trusted key with the given key ID, or nil.
func (s Signers) Find(id string) *SignerKey {
	for _, k := range s {
		if k.id == id {
			return k
		}
	}
	return nil
}

// IDs lists the key IDs, comma-separated, for messages.
func (s Signers) IDs() string {
	ids := make([]string, len(s))
	for i, k := range s {
		ids[i] = k.id
	}
	return strings.Join(ids, ", ")
}

// Verify checks sig over msg under the trusted key named id.
func (s Signers) Verify(id string, msg, sig []byte) error {
	k := s.Find(id)
	if k == nil {
		if len(s) == 0 {
			return fmt.Errorf("%w: signed by %s, but no signer is trusted", ErrSignature, id)
		}
		return fmt.Errorf("%w: signed by %s, which is not a trusted signer (trusted: %s)", ErrSignature, id, s.IDs())
	}
	return k.Verify(msg, sig)
}
