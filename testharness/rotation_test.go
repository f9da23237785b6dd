package testharness

import (
	"path/filepath"
	"testing"
)

// rotation is the fixture of the rewrap tests: an old and a new identity,
// and a keyring that seals the buckets rot-* to one of them (the old one
// at first).
type rotation struct {
	oldID, newID, ring string
}

func newRotation(t *testing.T) rotation {
	dir := t.TempDir()
	r := rotation{filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key"), filepath.Join(dir, "keyring.json")}
	Keygen(t, r.oldID)
	Keygen(t, r.newID)
	r.sealTo(t, r.oldID)
	return r
}

// sealTo makes id the recipient of new objects in rot-* buckets.
func (r rotation) sealTo(t *testing.T, id string) {
	WriteFileAtomic(t, r.ring, []byte(`{"buckets": [{"bucket": "rot-*", "recipients": ["`+id+`.pub"]}]}`), 0o644)
}

// gatewayArgs load the keyring and both identities, so that the gateway
// opens objects sealed to either.
func (r rotation) gatewayArgs() []string {
	return []string{"--keyring", r.ring, "--identity", r.oldID, "--identity", r.newID}
}
