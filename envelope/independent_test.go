package envelope

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestIndependentDecryptor decrypts envelopes with testdata/
// independent_decrypt.py, a second implementation written from FORMAT.md
// alone. It needs python3 with the "cryptography" package and says so
// when skipped.
func TestIndependentDecryptor(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(py, "-c", "import cryptography").Run()
	}
	if err != nil {
		t.Skipf("cross-check skipped: python3 with the cryptography package is not available (%v)", err)
	}
	dir := t.TempDir()
	id, err := GenerateIdentity(TypeX25519)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := id.MarshalText()
	idFile := filepath.Join(dir, "id")
	if err := os.WriteFile(idFile, text, 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(name string, env, plain []byte) {
		t.Helper()
		f := filepath.Join(dir, "env")
		if err := os.WriteFile(f, env, 0o600); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(py, "testdata/independent_decrypt.py", idFile, f)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: independent decryptor: %v\n%s", name, err, stderr.String())
		}
		if !bytes.Equal(out, plain) {
			t.Fatalf("%s: independent decryptor returned different plaintext", name)
		}
	}
	for _, n := range []int{0, 3*DefaultSegmentSize + 5} {
		plain := randomBytes(t, n)
		check("single part", encryptBytes(t, plain, nil, id.Recipient(), testIdentities()[TypeMLKEM768X25519].Recipient()), plain)
	}
	// Several parts with gaps in their numbers, small segments.
	h, k, err := NewHeader([]Recipient{id.Recipient()}, &Options{SegmentSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	o := &object{h: h, k: k, bodies: map[int][]byte{}, infos: map[int]PartInfo{}, plain: map[int][]byte{}}
	o.put(t, 2, randomBytes(t, 1000))
	o.put(t, 3, nil)
	o.put(t, 7, randomBytes(t, 512))
	env, plain := o.file(t, 2, 3, 7)
	check("multipart", env, plain)

	// Format v2: a signed single file, verified with the signer's key.
	sk, _ := GenerateSigningKey()
	signer := filepath.Join(dir, "signer.pub")
	if err := os.WriteFile(signer, []byte("# a comment\n"+sk.Public().String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain = randomBytes(t, 2*DefaultSegmentSize+9)
	var buf bytes.Buffer
	w, err := EncryptSigned(&buf, []Recipient{id.Recipient()}, nil, sk)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	signed := filepath.Join(dir, "signed")
	os.WriteFile(signed, buf.Bytes(), 0o600)
	out, err := exec.Command(py, "testdata/independent_decrypt.py", idFile, signed, signer).Output()
	if err != nil || !bytes.Equal(out, plain) {
		t.Fatalf("signed file: independent decryptor: %v", err)
	}
	other, _ := GenerateSigningKey()
	os.WriteFile(signer, []byte(other.Public().String()+"\n"), 0o644)
	if out, err := exec.Command(py, "testdata/independent_decrypt.py", idFile, signed, signer).Output(); err == nil || len(out) > 0 {
		t.Fatalf("signed file with another signer: accepted by the independent decryptor (%d bytes)", len(out))
	}
}
