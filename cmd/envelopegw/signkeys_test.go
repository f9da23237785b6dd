package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeygenSign(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sign.key")
	mustRun(t, cmdKeygen, "-t", "sign", "-o", p)
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v %v", err, st.Mode())
	}
	k, err := loadSigningKey(p)
	if err != nil {
		t.Fatal(err)
	}
	signers, err := loadSigners([]string{p + ".pub"})
	if err != nil || len(signers) != 1 || !signers[0].Equal(k.Public()) {
		t.Fatalf("FILE.pub does not hold the public half: %v", err)
	}
	pub, _ := os.ReadFile(p + ".pub")
	if !strings.HasPrefix(string(pub), "egw-sign-ed25519-mldsa65:") {
		t.Fatalf("FILE.pub: %.40q", pub)
	}
	if _, _, err := offlineRun(t, nil, cmdKeygen, "-t", "sign", "-o", p); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("overwrite: %v", err)
	}
	// The public half is not a signing key, and a group-readable key is refused.
	if _, err := loadSigningKey(p + ".pub"); err == nil {
		t.Fatal("FILE.pub accepted as a signing key")
	}
	os.Chmod(p, 0o644)
	if _, err := loadSigningKey(p); err == nil {
		t.Fatal("signing key readable by others accepted")
	}
	// Created once, then read back: the same key.
	auto := filepath.Join(dir, ".envelopegw", "signing.key")
	k1, created, err := loadOrCreateSigningKey(auto)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	k2, created, err := loadOrCreateSigningKey(auto)
	if err != nil || created || k2.KeyID() != k1.KeyID() {
		t.Fatalf("reload: %v %v", created, err)
	}
}

func TestMixedRecipientsWarning(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	mustRun(t, cmdKeygen, "-o", p("pq.key"))
	mustRun(t, cmdKeygen, "-t", "x25519", "-o", p("x.key"))
	_, stderr, err := offlineRun(t, []byte("data"), cmdEncrypt, "-r", p("pq.key.pub"), "-r", p("x.key.pub"), "-o", p("out"))
	if err != nil || !strings.Contains(string(stderr), "weakest recipient") {
		t.Fatalf("mixed recipients: %v, stderr %q", err, stderr)
	}
	_, stderr, err = offlineRun(t, []byte("data"), cmdEncrypt, "-r", p("pq.key.pub"), "-o", p("out2"))
	if err != nil || strings.Contains(string(stderr), "warning") {
		t.Fatalf("post-quantum only: %v, stderr %q", err, stderr)
	}
}

// encrypt -s signs a single file; decrypt --signer verifies it before the
// first byte, refuses an unsigned file or another signer, and a signed
// file is not decrypted without --signer unless told to skip the check.
func TestSignedFileCLI(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	mustRun(t, cmdKeygen, "-o", p("id"))
	mustRun(t, cmdKeygen, "-t", "sign", "-o", p("sign"))
	mustRun(t, cmdKeygen, "-t", "sign", "-o", p("other"))
	plain := []byte(strings.Repeat("backup bytes ", 10000))
	if _, stderr, err := offlineRun(t, plain, cmdEncrypt, "-r", p("id.pub"), "-s", p("sign"), "-o", p("signed.egw")); err != nil {
		t.Fatalf("encrypt -s: %v %s", err, stderr)
	}
	if _, stderr, err := offlineRun(t, plain, cmdEncrypt, "-r", p("id.pub"), "-o", p("plain.egw")); err != nil {
		t.Fatalf("encrypt: %v %s", err, stderr)
	}
	out, _, err := offlineRun(t, nil, cmdDecrypt, "-i", p("id"), "--signer", p("sign.pub"), p("signed.egw"))
	if err != nil || string(out) != string(plain) {
		t.Fatalf("decrypt --signer: %v", err)
	}
	for name, args := range map[string][]string{
		"other signer":     {"-i", p("id"), "--signer", p("other.pub"), p("signed.egw")},
		"unsigned file":    {"-i", p("id"), "--signer", p("sign.pub"), p("plain.egw")},
		"signed, no check": {"-i", p("id"), p("signed.egw")},
	} {
		out, _, err := offlineRun(t, nil, cmdDecrypt, args...)
		if err == nil || len(out) > 0 {
			t.Errorf("%s: %v, %d bytes out", name, err, len(out))
		}
	}
	// From a pipe: spooled, verified, then decrypted; nothing released
	// from a forged or tampered stream.
	signedBytes, _ := os.ReadFile(p("signed.egw"))
	if out, _, err := offlineRun(t, signedBytes, cmdDecrypt, "-i", p("id"), "--signer", p("sign.pub")); err != nil || string(out) != string(plain) {
		t.Fatalf("decrypt --signer from standard input: %v, %d bytes", err, len(out))
	}
	if out, _, err := offlineRun(t, signedBytes[:len(signedBytes)-1], cmdDecrypt, "-i", p("id"), "--signer", p("sign.pub")); err == nil || len(out) > 0 {
		t.Errorf("truncated on standard input: %v, %d bytes out", err, len(out))
	}
	// A segment flipped after the record verified: the segments before it
	// (authenticated under the signed header's data key) may go out, the
	// flipped one never.
	tampered := bytes.Clone(signedBytes)
	tampered[len(tampered)/2] ^= 1
	if out, _, err := offlineRun(t, tampered, cmdDecrypt, "-i", p("id"), "--signer", p("sign.pub")); err == nil || len(out) >= len(plain) || !bytes.HasPrefix(plain, out) {
		t.Errorf("tampered on standard input: %v, %d bytes out", err, len(out))
	}
	if out, _, err := offlineRun(t, signedBytes, cmdDecrypt, "-i", p("id"), "--signer", p("other.pub")); err == nil || len(out) > 0 {
		t.Errorf("other signer on standard input: %v, %d bytes out", err, len(out))
	}
	if out, _, err := offlineRun(t, nil, cmdDecrypt, "-i", p("id"), "--insecure-skip-signer", p("signed.egw")); err != nil || string(out) != string(plain) {
		t.Fatalf("--insecure-skip-signer: %v", err)
	}
	if out, _, err := offlineRun(t, nil, cmdDecrypt, "-i", p("id"), p("plain.egw")); err != nil || string(out) != string(plain) {
		t.Fatalf("unsigned file without --signer: %v", err)
	}
	k, _ := loadSigningKey(p("sign"))
	info := string(mustRun(t, cmdInspect, p("signed.egw")))
	if !strings.Contains(info, "version 2 (signed)") || !strings.Contains(info, k.KeyID()) {
		t.Fatalf("inspect of a signed file:\n%s", info)
	}
	signed, _ := os.ReadFile(p("signed.egw"))
	if info, _, err := offlineRun(t, signed, cmdInspect); err != nil || !strings.Contains(string(info), k.KeyID()) {
		t.Fatalf("inspect of a signed file from a pipe: %v\n%s", err, info)
	}
	if info := string(mustRun(t, cmdInspect, p("plain.egw"))); !strings.Contains(info, "version 1 (unsigned)") {
		t.Fatalf("inspect of an unsigned file:\n%s", info)
	}
}
