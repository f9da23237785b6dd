package main

import (
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
