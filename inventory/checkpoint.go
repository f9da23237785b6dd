package inventory

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"envelopegw/envelope"
)

// checkpointOrigin is the first line of every checkpoint.
const checkpointOrigin = "envelopegw inventory"

// ErrCheckpoint reports a checkpoint that does not verify, or a log that
// does not match one.
var ErrCheckpoint = errors.New("inventory: checkpoint")

// Checkpoint is a signed tree head: the size of the log and its root.
type Checkpoint struct {
	tlog.Tree
	Signer string // key ID that signed it
	Note   []byte // the signed text, as exported
}

func signerName(keyID string) string { return "envelopegw-" + keyID }

// noteKeyHash is the note key hash of the hybrid key, computed as note
// computes it for its own key types: SHA-256(name || "\n" || key), first
// four bytes.
func noteKeyHash(name string, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// noteSigner adapts a hybrid signing key to note.Signer.
type noteSigner struct{ k *envelope.SigningKey }

func (s noteSigner) Name() string                    { return signerName(s.k.KeyID()) }
func (s noteSigner) KeyHash() uint32                 { return noteKeyHash(s.Name(), s.k.Public().Bytes()) }
func (s noteSigner) Sign(msg []byte) ([]byte, error) { return s.k.Sign(msg) }

// noteVerifier adapts a trusted signer key to note.Verifier.
type noteVerifier struct{ k *envelope.SignerKey }

func (v noteVerifier) Name() string                { return signerName(v.k.KeyID()) }
func (v noteVerifier) KeyHash() uint32             { return noteKeyHash(v.Name(), v.k.Bytes()) }
func (v noteVerifier) Verify(msg, sig []byte) bool { return v.k.Verify(msg, sig) == nil }

func formatTree(t tlog.Tree) string {
	return fmt.Sprintf("%s\n%d\n%s\n", checkpointOrigin, t.N, base64.StdEncoding.EncodeToString(t.Hash[:]))
}

// signCheckpoint signs the tree head t with k.
func signCheckpoint(t tlog.Tree, k *envelope.SigningKey) ([]byte, error) {
	return note.Sign(&note.Note{Text: formatTree(t)}, noteSigner{k})
}

// OpenCheckpoint verifies a checkpoint's signature by one of the trusted
// signers and parses it.
func OpenCheckpoint(msg []byte, trusted envelope.Signers) (*Checkpoint, error) {
	vs := make([]note.Verifier, len(trusted))
	for i, k := range trusted {
		vs[i] = noteVerifier{k}
	}
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		var unknown *note.UnverifiedNoteError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("%w: signed by no trusted signer (trusted: %s)", ErrCheckpoint, envelope.Signers(trusted).IDs())
		}
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	t, err := parseTree(n.Text)
	if err != nil {
		return nil, err
	}
	return &Checkpoint{Tree: t, Signer: strings.TrimPrefix(n.Sigs[0].Name, "envelopegw-"), Note: msg}, nil
}

func parseTree(text string) (tlog.Tree, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) != 4 || lines[0] != checkpointOrigin || lines[3] != "" {
		return tlog.Tree{}, fmt.Errorf("%w: not an envelopegw inventory checkpoint", ErrCheckpoint)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 {
		return tlog.Tree{}, fmt.Errorf("%w: bad tree size %q", ErrCheckpoint, lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return tlog.Tree{}, fmt.Errorf("%w: bad root hash", ErrCheckpoint)
	}
	t := tlog.Tree{N: n}
	copy(t.Hash[:], h)
	return t, nil
}

// parseNoteTree reads the tree of a checkpoint without checking its
// signature (the appender's own head).
func parseNoteTree(msg string) (tlog.Tree, error) {
	i := strings.LastIndex(msg, "\n\n")
	if i < 0 {
		return tlog.Tree{}, fmt.Errorf("%w: malformed", ErrCheckpoint)
	}
	return parseTree(msg[:i+1])
}
