package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"envelopegw/gateway"
)

// loadStateKey reads the multipart state key at path, creating it on first
// use. Every gateway sharing a data directory must use the same key, so
// creation is exclusive (see createExclusive) and the loser of a race reads
// the winner's key. The file is 64 hex digits and a newline.
func loadStateKey(path string) ([]byte, bool, error) {
	key := make([]byte, gateway.StateKeySize)
	rand.Read(key)
	text := []byte(hex.EncodeToString(key) + "\n")
	created, err := createExclusive(path, text)
	clear(key)
	clear(text)
	if err != nil {
		return nil, false, fmt.Errorf("state key %s: %w", path, err)
	}
	k, err := readStateKey(path)
	return k, created, err
}

// readStateKey reads an existing state key file (mode 0600).
func readStateKey(path string) ([]byte, error) {
	b, err := readPrivateFile(path)
	if err != nil {
		return nil, fmt.Errorf("state key: %w", err)
	}
	defer clear(b)
	b = bytes.TrimSpace(b)
	k := make([]byte, gateway.StateKeySize)
	if len(b) != 2*gateway.StateKeySize {
		return nil, fmt.Errorf("state key %s: want %d hex digits", path, 2*gateway.StateKeySize)
	}
	if _, err := hex.Decode(k, b); err != nil {
		return nil, fmt.Errorf("state key %s: want %d hex digits", path, 2*gateway.StateKeySize)
	}
	return k, nil
}
