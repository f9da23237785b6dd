package testharness

import (
	"bytes"
	"path/filepath"
	"testing"
)

// catAs runs `envelopegw cat` of bucket/key with identity id and returns
// the plaintext, or an error when the object does not open with it.
func catAs(t *testing.T, g *Gateway, id, object string) ([]byte, error) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := Command(t, "cat", "--data", g.DataDir, "--signer", g.SignerFile, "-i", id, object)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &catError{err, stderr.String()}
	}
	return out, nil
}

type catError struct {
	err    error
	stderr string
}

func (e *catError) Error() string { return e.err.Error() + ": " + e.stderr }

// TestOpsReloadRecipients: SIGHUP re-reads a recipients file. Objects
// written after the reload are sealed to the new recipient and no longer
// to the removed one; objects written before keep their recipients; a
// file that does not parse keeps the running recipients.
func TestOpsReloadRecipients(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	oldID, newID := filepath.Join(dir, "old-restore.txt"), filepath.Join(dir, "new-restore.txt")
	oldRecipient, newRecipient := Keygen(t, oldID), Keygen(t, newID)
	recipients := filepath.Join(dir, "recipients")
	WriteFileAtomic(t, recipients, []byte("# restore key\n"+oldRecipient+"\n"), 0o644)
	g := Start(t, Options{NoFsync: true, Args: []string{"--recipient", recipients}})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	before, after, kept := Data(1, 70000), Data(2, 70000), Data(3, 70000)
	put(t, c, b, "before", before)

	WriteFileAtomic(t, recipients, []byte("# rotated restore key\n"+newRecipient+"\n"), 0o644)
	g.Reload("keys reloaded")
	put(t, c, b, "after", after)

	WriteFileAtomic(t, recipients, []byte("not-a-recipient\n"), 0o644)
	g.Reload("reload failed")
	put(t, c, b, "kept", kept)

	for _, tc := range []struct {
		id, object string
		want       []byte // nil: must not open
	}{
		{oldID, "before", before},
		{newID, "before", nil},
		{newID, "after", after},
		{oldID, "after", nil},
		{newID, "kept", kept},
		{oldID, "kept", nil},
		{g.IdentityFile, "kept", kept}, // the gateway's own --recipient stays throughout
	} {
		got, err := catAs(t, g, tc.id, b+"/"+tc.object)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("%s opens %s: it was written when that key was not a recipient", filepath.Base(tc.id), tc.object)
		case tc.want != nil && (err != nil || !bytes.Equal(got, tc.want)):
			t.Errorf("%s does not open %s: %v (%d bytes)", filepath.Base(tc.id), tc.object, err, len(got))
		}
	}
}
