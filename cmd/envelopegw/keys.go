package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"envelopegw/envelope"
)

// loadRecipients reads each argument as a recipient file when such a file
// exists, and as a recipient string otherwise.
func loadRecipients(args []string) ([]envelope.Recipient, error) {
	var out []envelope.Recipient
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.Mode().IsRegular() {
			b, err := os.ReadFile(a)
			if err != nil {
				return nil, fmt.Errorf("recipient file: %w", err)
			}
			rs, err := envelope.ParseRecipients(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("recipient file %s: %w", a, err)
			}
			if len(rs) == 0 {
				return nil, fmt.Errorf("recipient file %s holds no recipient", a)
			}
			out = append(out, rs...)
			continue
		}
		r, err := envelope.ParseRecipient(strings.TrimSpace(a))
		if err != nil {
			// The argument may be a mistyped path; say both.
			return nil, fmt.Errorf("recipient %q is neither a readable file nor a valid recipient: %w", short(a), err)
		}
		out = append(out, r)
	}
	return dedupRecipients(out), nil
}

// loadIdentities reads identity files, which must be private to their
// owner.
func loadIdentities(paths []string) ([]envelope.Identity, error) {
	var out []envelope.Identity
	for _, p := range paths {
		b, err := readPrivateFile(p)
		if err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		ids, err := envelope.ParseIdentities(bytes.NewReader(b))
		clear(b)
		if err != nil {
			return nil, fmt.Errorf("identity file %s: %w", p, err)
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("identity file %s holds no identity", p)
		}
		out = append(out, ids...)
	}
	return out, nil
}

// dedupRecipients drops repeated key IDs, so that a key given both as a
// recipient and through its identity is wrapped once.
func dedupRecipients(rs []envelope.Recipient) []envelope.Recipient {
	seen := map[string]bool{}
	out := rs[:0]
	for _, r := range rs {
		if seen[r.KeyID()] {
			continue
		}
		seen[r.KeyID()] = true
		out = append(out, r)
	}
	return out
}

func short(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func recipientIDs(rs []envelope.Recipient) string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.Type() + ":" + r.KeyID()
	}
	return strings.Join(ids, " ")
}

func identityIDs(ids []envelope.Identity) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Type() + ":" + id.KeyID()
	}
	return strings.Join(out, " ")
}
