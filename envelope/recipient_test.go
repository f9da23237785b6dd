package envelope

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestRecipientStringsRoundTrip(t *testing.T) {
	for kind, id := range testIdentities() {
		r := id.Recipient()
		r2, err := ParseRecipient(r.String())
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if r2.KeyID() != id.KeyID() || r2.Type() != id.Type() || r2.String() != r.String() {
			t.Fatalf("%s: recipient changed in round trip", kind)
		}
		text, err := id.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		ids, err := ParseIdentities(bytes.NewReader(text))
		if err != nil || len(ids) != 1 || ids[0].KeyID() != id.KeyID() {
			t.Fatalf("%s: identity round trip: %v", kind, err)
		}
		if len(id.KeyID()) != 16 {
			t.Fatalf("%s: key ID %q", kind, id.KeyID())
		}
		if _, err := ParseRecipient(string(text)); err == nil {
			t.Fatalf("%s: identity accepted as a recipient", kind)
		}
	}
}

func TestIdentityFileSeveralWithComments(t *testing.T) {
	var b strings.Builder
	for _, kind := range []string{TypeMLKEM768X25519, "rsa", TypeX25519} {
		id := testIdentities()[kind]
		text, _ := id.MarshalText()
		b.WriteString("# a comment about " + kind + "\n\n")
		b.Write(text)
		b.WriteString("\n")
	}
	ids, err := ParseIdentities(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("%d identities", len(ids))
	}
	env := encryptBytes(t, []byte("x"), nil, testIdentities()["rsa"].Recipient())
	if _, _, err1, err2 := decryptBoth(env, ids...); err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := ParseIdentities(strings.NewReader("# nothing\n")); err == nil {
		t.Fatal("empty identity file accepted")
	}
	_, err = ParseIdentities(strings.NewReader("EGW-SECRET-X25519:!!!\n"))
	if err == nil || strings.Contains(err.Error(), "!!!") {
		t.Fatalf("bad identity: %v (must not echo the line)", err)
	}
}

func TestRSAForms(t *testing.T) {
	id := testIdentities()["rsa"].(*rsaIdentity)
	pub := &id.priv.PublicKey
	pkix, _ := x509.MarshalPKIXPublicKey(pub)
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"PUBLIC KEY":     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})),
		"RSA PUBLIC KEY": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)})),
		"ssh-rsa":        strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " user@host",
	}
	for name, s := range forms {
		r, err := ParseRecipient(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.KeyID() != id.KeyID() {
			t.Fatalf("%s: key ID %s, want %s", name, r.KeyID(), id.KeyID())
		}
	}
	rs, err := ParseRecipients(strings.NewReader("# team\n" + forms["PUBLIC KEY"] + "\n" + forms["ssh-rsa"] + "\n" + testIdentities()[TypeX25519].Recipient().String() + "\n"))
	if err != nil || len(rs) != 3 {
		t.Fatalf("recipients file: %d, %v", len(rs), err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(id.priv)})
	ids, err := ParseIdentities(bytes.NewReader(pkcs1))
	if err != nil || ids[0].KeyID() != id.KeyID() {
		t.Fatalf("PKCS#1 identity: %v", err)
	}
	opensshBlock, err := ssh.MarshalPrivateKey(id.priv, "backup key")
	if err != nil {
		t.Fatal(err)
	}
	ids, err = ParseIdentities(bytes.NewReader(pem.EncodeToMemory(opensshBlock)))
	if err != nil || ids[0].KeyID() != id.KeyID() {
		t.Fatalf("OpenSSH identity: %v", err)
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	spkix, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	if _, err := ParseRecipient(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spkix}))); err == nil {
		t.Fatal("1024-bit RSA recipient accepted")
	}
	sp8, _ := x509.MarshalPKCS8PrivateKey(small)
	if _, err := ParseIdentities(bytes.NewReader(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: sp8}))); err == nil {
		t.Fatal("1024-bit RSA identity accepted")
	}
}

func TestIncorrectIdentity(t *testing.T) {
	ids := testIdentities()
	s, err := ids[TypeX25519].Recipient().Wrap(make([]byte, keySize))
	if err != nil {
		t.Fatal(err)
	}
	for kind, id := range ids {
		_, err := id.Unwrap(s)
		if kind == TypeX25519 {
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !errors.Is(err, ErrIncorrectIdentity) {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	// A stanza moved under another key ID does not open: the key ID is bound.
	s2 := *s
	s2.Body = bytes.Clone(s.Body)
	s2.Body[len(s2.Body)-1] ^= 1
	if _, err := ids[TypeX25519].Unwrap(&s2); !errors.Is(err, ErrAuth) {
		t.Fatalf("tampered stanza: %v", err)
	}
}

func TestParseRecipientRejects(t *testing.T) {
	for _, s := range []string{"", "age1xyz", "egw-x25519:", "egw-x25519:AAAA", "egw-mlkem768x25519:@@", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"} {
		if _, err := ParseRecipient(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
