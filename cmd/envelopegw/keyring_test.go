package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"envelopegw/envelope"
)

func TestKeyring(t *testing.T) {
	dir := t.TempDir()
	var recips []string
	var ids []string
	for range 2 {
		id, err := envelope.GenerateIdentity("x25519")
		if err != nil {
			t.Fatal(err)
		}
		recips = append(recips, id.Recipient().(fmt.Stringer).String())
		ids = append(ids, id.KeyID())
	}
	pub := filepath.Join(dir, "b.pub")
	if err := os.WriteFile(pub, []byte(recips[1]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "keyring.json")
	text := `{"buckets": [
  {"bucket": "team-a-*", "recipients": ["` + recips[0] + `"]},
  {"bucket": "team-*", "recipients": ["` + pub + `", "` + recips[0] + `"]}
]}`
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	entries, err := loadKeyring(file)
	if err != nil {
		t.Fatal(err)
	}
	k := &keyring{}
	k.cur.Store(&entries)
	keyIDs := func(bucket string) string {
		rs, ok := k.Recipients(bucket)
		if !ok {
			return "-"
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.KeyID())
		}
		return strings.Join(out, ",")
	}
	for bucket, want := range map[string]string{
		"team-a-db": ids[0], "team-b": ids[1] + "," + ids[0], "other": "-", "team-a": ids[1] + "," + ids[0],
	} {
		if got := keyIDs(bucket); got != want {
			t.Errorf("%s: %s, want %s", bucket, got, want)
		}
	}

	// An entry may name a signing key, which must be private.
	skFile := filepath.Join(dir, "team.sign")
	if err := keygenSign(skFile, stdio{out: io.Discard, err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	withKey := filepath.Join(dir, "signing.json")
	os.WriteFile(withKey, []byte(`{"buckets": [{"bucket": "team-*", "recipients": ["`+recips[0]+`"], "signing_key": "`+skFile+`"},
  {"bucket": "*", "recipients": ["`+recips[1]+`"]}]}`), 0o644)
	entries, err = loadKeyring(withKey)
	if err != nil {
		t.Fatal(err)
	}
	k.cur.Store(&entries)
	sk, ok := k.SigningKey("team-a")
	if !ok || len(k.SignerKeys()) != 1 || k.SignerKeys()[0].KeyID() != sk.KeyID() {
		t.Errorf("team-a: signing key %v, %v; signer keys %v", sk, ok, k.SignerKeys())
	}
	if _, ok := k.SigningKey("other"); ok {
		t.Error("a bucket whose entry names no signing key got one")
	}
	os.Chmod(skFile, 0o644)
	if _, err := loadKeyring(withKey); err == nil || !strings.Contains(err.Error(), "signing.json:1: entry 1") {
		t.Errorf("a readable signing key loaded: %v", err)
	}

	for _, c := range []struct{ text, want string }{
		{`{"buckets": [` + "\n" + `{"bucket": "a[", "recipients": ["x"]}]}`, "k.json:2: entry 1: bucket \"a[\""},
		{`{"buckets": [{"bucket": "a", "recipients": []}]}`, "k.json:1: entry 1: bucket \"a\" has no recipients"},
		{`{"buckets": [{"bucket": "a", "recipients": ["nonsense"]}]}`, "neither a readable file nor a valid recipient"},
		{`{"buckets": [{"bucket": "a", "recipient": ["x"]}]}`, `unknown field "recipient"`},
		{`{"bucket": []}`, `unknown field "bucket"`},
	} {
		p := filepath.Join(dir, "k.json")
		os.WriteFile(p, []byte(c.text), 0o644)
		if _, err := loadKeyring(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ...%s...", c.text, err, c.want)
		}
	}
}
