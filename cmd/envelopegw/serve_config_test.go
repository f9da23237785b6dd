package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestServeFlagsAndEnv(t *testing.T) {
	c, err := parseServeFlags(nil, envMap(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.listen != "127.0.0.1:9000" || c.data != "./data" || c.region != "us-east-1" || c.noFsync || c.uploadMaxAge != 7*24*time.Hour {
		t.Errorf("defaults: %+v", c)
	}

	env := envMap(map[string]string{
		"ENVELOPEGW_LISTEN":         "127.0.0.1:1",
		"ENVELOPEGW_DATA":           "/env/data",
		"ENVELOPEGW_RECIPIENT":      "r1, r2",
		"ENVELOPEGW_DOMAIN":         "s3.example",
		"ENVELOPEGW_NO_FSYNC":       "true",
		"ENVELOPEGW_UPLOAD_MAX_AGE": "2d",
		"ENVELOPEGW_TLS_CERT":       "c.pem",
		"ENVELOPEGW_TLS_KEY":        "k.pem",
		"ENVELOPEGW_ACCESS_KEY":     "AKIATEST",
		"ENVELOPEGW_SECRET_KEY":     "secret-secret",
	})
	c, err = parseServeFlags([]string{"--listen", "127.0.0.1:2", "--recipient", "r3", "--upload-max-age=36h"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.listen != "127.0.0.1:2" {
		t.Errorf("flag did not win over the environment: listen %s", c.listen)
	}
	if strings.Join(c.recipients, " ") != "r3" {
		t.Errorf("recipients %q: a repeatable flag given replaces its variable", c.recipients)
	}
	if c.data != "/env/data" || !c.noFsync || strings.Join(c.domains, " ") != "s3.example" || c.tlsCert != "c.pem" || c.uploadMaxAge != 36*time.Hour {
		t.Errorf("environment not applied: %+v", c)
	}
	if c.accessKey != "AKIATEST" || c.secretKey != "secret-secret" {
		t.Error("credentials from the environment not read")
	}
	c, err = parseServeFlags(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.recipients, " ") != "r1 r2" || c.uploadMaxAge != 48*time.Hour {
		t.Errorf("list/day variables: %q %s", c.recipients, c.uploadMaxAge)
	}

	for _, bad := range [][]string{
		{"--tls-cert", "c.pem"},
		{"--upload-max-age", "soon"},
		{"--log-level", "loud"},
		{"stray"},
	} {
		if _, err := parseServeFlags(bad, envMap(nil), io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := parseServeFlags(nil, envMap(map[string]string{"ENVELOPEGW_ACCESS_KEY": "AKIATEST"}), io.Discard); err == nil {
		t.Error("an access key without a secret key was accepted")
	}
	if _, err := parseServeFlags(nil, envMap(map[string]string{"ENVELOPEGW_NO_FSYNC": "maybe"}), io.Discard); err == nil {
		t.Error("a malformed boolean variable was accepted")
	}
}

func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "creds")
	text := "# users\nAKIAONE secret-one-1234\n\n  AKIATWO   secret-two-5678  \n"
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c := credentials{}
	if err := loadCredentialsFile(p, c); err != nil {
		t.Fatal(err)
	}
	if s, ok := c.SecretKey("AKIATWO"); !ok || s != "secret-two-5678" || len(c) != 2 {
		t.Errorf("parsed %d users, AKIATWO -> %q %v", len(c), s, ok)
	}
	if _, ok := c.SecretKey("AKIATHREE"); ok {
		t.Error("unknown access key found")
	}

	for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
		os.Chmod(p, mode)
		if err := loadCredentialsFile(p, credentials{}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: %v, want a refusal", mode, err)
		}
	}
	os.Chmod(p, 0o600)

	for _, bad := range []string{
		"AKIAONE\n",
		"AKIAONE secret-one-1234 extra\n",
		"AKIAONE short\n",
		"AKIAONE secret-one-1234\nAKIAONE secret-two-5678\n",
		"AK/IA secret-one-1234\n",
	} {
		err := parseCredentials([]byte(bad), "f", credentials{})
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "secret-") {
			t.Errorf("error %q shows a secret", err)
		}
	}
}

// TestStateKeyConcurrentCreate starts many "processes" on a fresh data
// directory at once: they must all end up with the same key.
func TestStateKeyConcurrentCreate(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".envelopegw", "state.key")
	const n = 16
	keys := make([][]byte, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			k, c, err := loadStateKey(p)
			if err != nil {
				t.Error(err)
			}
			keys[i], created[i] = k, c
		})
	}
	wg.Wait()
	nc := 0
	for i := range n {
		if !bytes.Equal(keys[i], keys[0]) || len(keys[i]) != 32 {
			t.Fatalf("process %d got a different key", i)
		}
		if created[i] {
			nc++
		}
	}
	if nc != 1 {
		t.Errorf("%d processes created the key, want 1", nc)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("state key mode %v, %v", st.Mode(), err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}

	os.WriteFile(p, []byte("not hex\n"), 0o600)
	if _, _, err := loadStateKey(p); err == nil {
		t.Error("a malformed state key was accepted")
	}
	os.WriteFile(p, bytes.Repeat([]byte("ab"), 40), 0o600)
	if _, _, err := loadStateKey(p); err == nil {
		t.Error("an overlong state key was accepted")
	}
	os.Chmod(p, 0o644)
	if _, _, err := loadStateKey(p); err == nil {
		t.Error("a world-readable state key was accepted")
	}
}
