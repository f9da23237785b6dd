package envelope

import (
	"crypto/rand"
	"testing"
)

// BenchmarkPerObject is the public-key work every object pays whatever
// its size, which bounds a small PUT's CPU from below: wrapping a fresh
// data key to a hybrid ML-KEM-768+X25519 recipient (one HPKE seal, as
// NewHeader does) and signing the object record (Ed25519 and ML-DSA-65,
// as Record.Sign does; a format v2 record of a single PUT is about 600
// bytes before its signature).
func BenchmarkPerObject(b *testing.B) {
	id, err := GenerateIdentity(TypeMLKEM768X25519)
	if err != nil {
		b.Fatal(err)
	}
	rcpts := []Recipient{id.Recipient()}
	b.Run("wrap-mlkem768x25519", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := NewHeader(rcpts, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	k, err := GenerateSigningKey()
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 600)
	rand.Read(msg)
	b.Run("sign-ed25519+mldsa65", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := k.Sign(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
