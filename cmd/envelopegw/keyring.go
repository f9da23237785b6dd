package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"
	"sync/atomic"

	"envelopegw/envelope"
	"envelopegw/gateway"
	"envelopegw/policy"
)

// A keyring file maps buckets to the recipients their new objects are
// sealed to, so that each team's backups open only with that team's
// restore keys:
//
//	{"buckets": [
//	  {"bucket": "team-a-*", "recipients": ["egw-mlkem768x25519:...", "/etc/envelopegw/team-a.pub"]},
//	  {"bucket": "team-b",   "recipients": ["/etc/envelopegw/team-b.pub"]}
//	]}
//
// "bucket" is a bucket name or a pattern (* and ?, as in path.Match);
// the first entry that matches wins; buckets no entry matches use
// --recipient. Recipients are strings or files of recipients, as for
// --recipient. An entry may also name a "signing_key" file (made by
// keygen -t sign, mode 0600): the records of that bucket's new objects
// are then signed with it instead of --signing-key, and the gateway
// trusts it for reading. The keyring file itself holds public keys and
// file names only, so it need not be private. It is reloaded on SIGHUP; new objects use the new table at
// once, objects already written keep their recipients (rewrap changes
// those).

// keyringEntry is one loaded entry.
type keyringEntry struct {
	pattern    string
	recipients []envelope.Recipient
	signer     *envelope.SigningKey // nil: --signing-key signs
}

// keyring implements gateway.Keyring over the current table.
type keyring struct {
	cur atomic.Pointer[[]keyringEntry]
}

var _ gateway.SigningKeyring = (*keyring)(nil)

func (k *keyring) Recipients(bucket string) ([]envelope.Recipient, bool) {
	for _, e := range *k.cur.Load() {
		if ok, _ := path.Match(e.pattern, bucket); ok {
			return e.recipients, true
		}
	}
	return nil, false
}

func (k *keyring) SigningKey(bucket string) (*envelope.SigningKey, bool) {
	for _, e := range *k.cur.Load() {
		if ok, _ := path.Match(e.pattern, bucket); ok {
			return e.signer, e.signer != nil
		}
	}
	return nil, false
}

func (k *keyring) SignerKeys() envelope.Signers {
	var out envelope.Signers
	for _, e := range *k.cur.Load() {
		if e.signer != nil {
			out = append(out, e.signer.Public())
		}
	}
	return out
}

// loadKeyring reads and validates a keyring file.
func loadKeyring(file string) ([]keyringEntry, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if len(text) > maxSecretFile {
		return nil, fmt.Errorf("keyring %s is larger than %d bytes", file, maxSecretFile)
	}
	var top struct {
		Buckets []json.RawMessage `json:"buckets"`
	}
	if err := strictJSON(text, &top); err != nil {
		return nil, jsonErr(file, text, 0, err)
	}
	if top.Buckets == nil {
		return nil, fmt.Errorf("%s: no \"buckets\" list", file)
	}
	var out []keyringEntry
	pos := 0
	for i, raw := range top.Buckets {
		off := pos + bytes.Index(text[pos:], raw)
		pos = off + len(raw)
		line, _ := policy.Position(text, off)
		at := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: entry %d: %s", file, line, i+1, fmt.Sprintf(format, args...))
		}
		var e struct {
			Bucket     string   `json:"bucket"`
			Recipients []string `json:"recipients"`
			SigningKey string   `json:"signing_key"`
		}
		if err := strictJSON(raw, &e); err != nil {
			return nil, jsonErr(file, text, off, err)
		}
		if _, err := path.Match(e.Bucket, ""); err != nil || e.Bucket == "" || strings.Contains(e.Bucket, "/") {
			return nil, at("bucket %q is not a bucket name or pattern", e.Bucket)
		}
		if len(e.Recipients) == 0 {
			return nil, at("bucket %q has no recipients", e.Bucket)
		}
		rs, err := loadRecipients(e.Recipients)
		if err != nil {
			return nil, at("%v", err)
		}
		entry := keyringEntry{pattern: e.Bucket, recipients: rs}
		if e.SigningKey != "" {
			if entry.signer, err = loadSigningKey(e.SigningKey); err != nil {
				return nil, at("%v", err)
			}
		}
		out = append(out, entry)
	}
	return out, nil
}

// loadKeyringInto loads the configured keyring file into s.keyring (made
// on first use); with no --keyring it does nothing.
func (s *server) loadKeyringInto() error {
	if s.cfg.keyring == "" {
		return nil
	}
	entries, err := loadKeyring(s.cfg.keyring)
	if err != nil {
		return err
	}
	if s.keyring == nil {
		s.keyring = &keyring{}
	}
	s.keyring.cur.Store(&entries)
	return nil
}

// describe lists pattern=key IDs for the logs.
func (k *keyring) describe() string {
	var parts []string
	for _, e := range *k.cur.Load() {
		parts = append(parts, e.pattern+"="+strings.ReplaceAll(recipientIDs(e.recipients), " ", "+"))
	}
	return strings.Join(parts, " ")
}

// gatewayKeyring is the keyring for gateway.Config: a nil *keyring must
// become a nil interface.
func (s *server) gatewayKeyring() gateway.Keyring {
	if s.keyring == nil {
		return nil
	}
	return s.keyring
}

func (s *server) keyringDesc() string {
	if s.keyring == nil {
		return ""
	}
	return s.keyring.describe()
}
