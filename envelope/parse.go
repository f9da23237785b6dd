package envelope

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Bounds on recipient and identity files, which are small by nature.
const (
	maxKeyFileSize = 1 << 20
	maxKeysPerFile = 1024
)

// GenerateIdentity makes a new private key: kind is "mlkem768x25519"
// (default when ""), "x25519" or "rsa" (3072-bit RSA-OAEP-SHA256).
func GenerateIdentity(kind string) (Identity, error) {
	switch kind {
	case "", TypeMLKEM768X25519:
		return generateHPKE(suiteMLKEM)
	case TypeX25519:
		return generateHPKE(suiteX)
	case "rsa", TypeRSAOAEPSHA256:
		priv, err := rsa.GenerateKey(rand.Reader, genRSABits)
		if err != nil {
			return nil, err
		}
		return newRSAIdentity(priv)
	}
	return nil, fmt.Errorf("envelope: unknown identity kind %q (want %s, %s or rsa)", kind, TypeMLKEM768X25519, TypeX25519)
}

func generateHPKE(s *hpkeSuite) (Identity, error) {
	priv, err := s.kem().GenerateKey()
	if err != nil {
		return nil, err
	}
	return newHPKEIdentity(s, priv)
}

// ParseRecipient reads a recipient string: the String() forms, a PEM
// "PUBLIC KEY"/"RSA PUBLIC KEY" block, or an OpenSSH "ssh-rsa AAAA..." line.
func ParseRecipient(s string) (Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, suiteMLKEM.pubPrefix):
		return parseHPKERecipient(suiteMLKEM, s)
	case strings.HasPrefix(s, suiteX.pubPrefix):
		return parseHPKERecipient(suiteX, s)
	case strings.HasPrefix(s, rsaPubPrefix):
		der, err := b64.DecodeString(s[len(rsaPubPrefix):])
		if err != nil {
			return nil, fmt.Errorf("envelope: %s recipient: bad base64: %w", TypeRSAOAEPSHA256, err)
		}
		return parseRSAPKIX(der)
	case strings.HasPrefix(s, "-----BEGIN"):
		b, rest := pem.Decode([]byte(s))
		if b == nil || len(strings.TrimSpace(string(rest))) != 0 {
			return nil, errors.New("envelope: recipient is not exactly one PEM block")
		}
		return parsePEMRecipient(b)
	case strings.HasPrefix(s, "ssh-rsa "):
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("envelope: ssh-rsa recipient: %w", err)
		}
		cpk, ok := pk.(ssh.CryptoPublicKey)
		if !ok {
			return nil, errors.New("envelope: ssh-rsa recipient: unsupported key")
		}
		pub, ok := cpk.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("envelope: ssh-rsa recipient is not an RSA key")
		}
		return newRSARecipient(pub)
	case strings.HasPrefix(s, "EGW-SECRET-"):
		return nil, errors.New("envelope: this is an identity (private key), not a recipient; use keygen -y to get its recipient")
	}
	return nil, fmt.Errorf("envelope: unknown recipient format %q", abbreviate(s))
}

func abbreviate(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

func parseHPKERecipient(su *hpkeSuite, s string) (Recipient, error) {
	b, err := b64.DecodeString(s[len(su.pubPrefix):])
	if err != nil {
		return nil, fmt.Errorf("envelope: %s recipient: bad base64: %w", su.typ, err)
	}
	return newHPKERecipient(su, b)
}

func parseRSAPKIX(der []byte) (Recipient, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("envelope: RSA recipient: %w", err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("envelope: public key is %T, only RSA is accepted in PEM form", k)
	}
	return newRSARecipient(pub)
}

func parsePEMRecipient(b *pem.Block) (Recipient, error) {
	switch b.Type {
	case "PUBLIC KEY":
		return parseRSAPKIX(b.Bytes)
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("envelope: RSA recipient: %w", err)
		}
		return newRSARecipient(pub)
	}
	return nil, fmt.Errorf("envelope: PEM block %q is not a public key", b.Type)
}

// ParseRecipients reads a recipients file: one recipient per line (or PEM
// blocks), "#" comments and blank lines ignored.
func ParseRecipients(r io.Reader) ([]Recipient, error) {
	var out []Recipient
	err := scanKeyFile(r, func(line int, text string, block *pem.Block) error {
		var rc Recipient
		var err error
		if block != nil {
			rc, err = parsePEMRecipient(block)
		} else {
			rc, err = ParseRecipient(text)
		}
		if err != nil {
			return fmt.Errorf("%w (line %d)", err, line)
		}
		out = append(out, rc)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("envelope: no recipients in file")
	}
	return out, nil
}

// ParseIdentities reads an identity file (one or more identities, or an RSA
// private key in PEM: PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" or an
// unencrypted "OPENSSH PRIVATE KEY"). "#" comments and blank lines are ignored.
func ParseIdentities(r io.Reader) ([]Identity, error) {
	var out []Identity
	err := scanKeyFile(r, func(line int, text string, block *pem.Block) error {
		var id Identity
		var err error
		if block != nil {
			id, err = parsePEMIdentity(block)
		} else {
			id, err = parseIdentityLine(text)
		}
		if err != nil {
			return fmt.Errorf("%w (line %d)", err, line)
		}
		out = append(out, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("envelope: no identities in file")
	}
	return out, nil
}

func parseIdentityLine(s string) (Identity, error) {
	for _, su := range []*hpkeSuite{suiteMLKEM, suiteX} {
		if strings.HasPrefix(s, su.secPrefix) {
			b, err := b64.DecodeString(s[len(su.secPrefix):])
			if err != nil {
				return nil, fmt.Errorf("envelope: %s identity: bad base64", su.typ)
			}
			return parseHPKEIdentity(su, b)
		}
	}
	if strings.HasPrefix(s, "egw-") {
		return nil, errors.New("envelope: this is a recipient (public key), not an identity")
	}
	// Never echo the line: it may be a secret in an unknown format.
	return nil, errors.New("envelope: unknown identity format")
}

func parsePEMIdentity(b *pem.Block) (Identity, error) {
	if _, ok := b.Headers["Proc-Type"]; ok {
		return nil, errors.New("envelope: encrypted PEM private keys are not supported")
	}
	var key any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "OPENSSH PRIVATE KEY":
		key, err = ssh.ParseRawPrivateKey(pem.EncodeToMemory(b))
	default:
		return nil, fmt.Errorf("envelope: PEM block %q is not a private key", b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("envelope: %s: %w", strings.ToLower(b.Type), err)
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("envelope: private key is %T, only RSA is accepted in PEM form", key)
	}
	if err := priv.Validate(); err != nil {
		return nil, fmt.Errorf("envelope: RSA private key: %w", err)
	}
	return newRSAIdentity(priv)
}

// scanKeyFile calls fn for every key of a recipients or identity file:
// a non-comment line, or a whole PEM block (text then holds the block).
func scanKeyFile(r io.Reader, fn func(line int, text string, block *pem.Block) error) error {
	sc := bufio.NewScanner(io.LimitReader(r, maxKeyFileSize+1))
	sc.Buffer(make([]byte, 0, 64<<10), maxKeyFileSize+1)
	var pemBuf strings.Builder
	pemStart, n, keys, total := 0, 0, 0, 0
	for sc.Scan() {
		n++
		total += len(sc.Bytes()) + 1
		if total > maxKeyFileSize {
			return fmt.Errorf("envelope: key file larger than %d bytes", maxKeyFileSize)
		}
		line := strings.TrimSpace(sc.Text())
		if pemStart == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if pemStart == 0 && strings.HasPrefix(line, "-----BEGIN ") {
			pemStart = n
			pemBuf.Reset()
		}
		if pemStart != 0 {
			pemBuf.WriteString(line)
			pemBuf.WriteByte('\n')
			if !strings.HasPrefix(line, "-----END ") {
				continue
			}
			b, rest := pem.Decode([]byte(pemBuf.String()))
			if b == nil || len(strings.TrimSpace(string(rest))) != 0 {
				return fmt.Errorf("envelope: line %d: malformed PEM block", pemStart)
			}
			line, start := pemBuf.String(), pemStart
			pemStart = 0
			if keys++; keys > maxKeysPerFile {
				return fmt.Errorf("envelope: more than %d keys in file", maxKeysPerFile)
			}
			if err := fn(start, line, b); err != nil {
				return err
			}
			continue
		}
		if keys++; keys > maxKeysPerFile {
			return fmt.Errorf("envelope: more than %d keys in file", maxKeysPerFile)
		}
		if err := fn(n, line, nil); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("envelope: reading key file: %w", err)
	}
	if pemStart != 0 {
		return fmt.Errorf("envelope: line %d: PEM block without END line", pemStart)
	}
	return nil
}
