package envelope

// CONTRACT STUB — the exported API other packages build against. The
// envelope implementer replaces this file with real code in files named
// after what they hold, keeping every signature below (additions are fine).

import (
	"errors"
	"io"
)

var (
	// ErrNoIdentity: none of the given identities can unwrap any stanza.
	ErrNoIdentity = errors.New("envelope: no identity matches any recipient of this envelope")
	// ErrIncorrectIdentity is returned by Identity.Unwrap for a stanza that is not its own.
	ErrIncorrectIdentity = errors.New("envelope: stanza is not for this identity")
	// ErrAuth: a segment, the header or the part table failed authentication.
	ErrAuth = errors.New("envelope: authentication failed")
	// ErrFormat: bytes that do not parse as this format.
	ErrFormat = errors.New("envelope: malformed envelope")
)

// Stanza is one wrapped copy of the data key.
type Stanza struct {
	Type  string // "mlkem768x25519", "x25519", "rsa-oaep-sha256"
	KeyID string // hex, names the recipient
	Body  []byte
}

// Recipient seals data keys for one public key.
type Recipient interface {
	Type() string
	KeyID() string
	String() string // the recipient string form, as ParseRecipient reads it
	Wrap(dataKey []byte) (*Stanza, error)
}

// Identity opens data keys sealed for one private key.
type Identity interface {
	Type() string
	KeyID() string
	Recipient() Recipient
	// Unwrap returns ErrIncorrectIdentity when s is not for this identity.
	Unwrap(s *Stanza) ([]byte, error)
	// MarshalText is the identity file form, as ParseIdentities reads it.
	MarshalText() ([]byte, error)
}

// GenerateIdentity makes a new private key: kind is "mlkem768x25519"
// (default when ""), "x25519" or "rsa" (3072-bit RSA-OAEP-SHA256).
func GenerateIdentity(kind string) (Identity, error) { panic("stub") }

// ParseRecipient reads a recipient string: the String() forms, a PEM
// "PUBLIC KEY"/"RSA PUBLIC KEY" block, or an OpenSSH "ssh-rsa AAAA..." line.
func ParseRecipient(s string) (Recipient, error) { panic("stub") }

// ParseRecipients reads a recipients file: one recipient per line (or PEM
// blocks), "#" comments and blank lines ignored.
func ParseRecipients(r io.Reader) ([]Recipient, error) { panic("stub") }

// ParseIdentities reads an identity file (one or more identities, or an RSA
// private key in PEM).
func ParseIdentities(r io.Reader) ([]Identity, error) { panic("stub") }

// Options tunes a new envelope. The zero value means the defaults.
type Options struct {
	SegmentSize int // plaintext bytes per segment; 0 means DefaultSegmentSize
}

// DefaultSegmentSize is the plaintext size of every segment but a part's last.
const DefaultSegmentSize = 64 << 10

// Header is the parsed envelope header: format version, suite, segment
// size, salt, recipient stanzas, key commitment and header MAC.
type Header struct{}

// Stanzas lists the wrapped keys (type and key ID are what inspect shows).
func (h *Header) Stanzas() []Stanza { panic("stub") }

// SegmentSize is the plaintext segment size of the envelope.
func (h *Header) SegmentSize() int { panic("stub") }

// MarshalBinary encodes the header.
func (h *Header) MarshalBinary() ([]byte, error) { panic("stub") }

// ParseHeader decodes a header (bounded: rejects absurd stanza counts/sizes).
func ParseHeader(b []byte) (*Header, error) { panic("stub") }

// ReadHeader reads one header from the front of a stream.
func ReadHeader(r io.Reader) (*Header, error) { panic("stub") }

// Key is an unwrapped data key with its derived subkeys. It never leaves
// memory except through Export.
type Key struct{}

// NewHeader makes a fresh random data key and a header sealing it for every
// recipient.
func NewHeader(recipients []Recipient, opts *Options) (*Header, *Key, error) { panic("stub") }

// Unwrap opens the data key with the first identity that matches a stanza,
// then checks the key commitment and the header MAC; ErrNoIdentity when
// none matches, ErrAuth when the commitment or MAC fails.
func (h *Header) Unwrap(identities ...Identity) (*Key, error) { panic("stub") }

// Rewrap returns a new header for the same data key: stanzas whose key ID
// is in remove are dropped, add are sealed anew. Data is untouched.
func (k *Key) Rewrap(h *Header, add []Recipient, remove []string) (*Header, error) {
	panic("stub")
}

// Export returns the raw data key, for callers that must keep it sealed
// under their own key between requests (multipart upload state).
func (k *Key) Export() []byte { panic("stub") }

// ImportKey rebuilds a Key from Export's bytes, checking it against h's
// commitment (ErrAuth on mismatch).
func ImportKey(h *Header, raw []byte) (*Key, error) { panic("stub") }

// PartInfo is one entry of the part table.
type PartInfo struct {
	Number int      // 1..10000
	Salt   [16]byte // random per part version: fresh subkey, no nonce reuse
	Size   int64    // plaintext bytes
}

// CiphertextSize is the stored size of a part body of plaintext size n.
func CiphertextSize(n int64, segmentSize int) int64 { panic("stub") }

// PartWriter encrypts one part as a stream: a salt prefix, then segments.
// Close seals the final segment; Info is valid after Close.
type PartWriter struct{}

func (w *PartWriter) Write(p []byte) (int, error) { panic("stub") }
func (w *PartWriter) Close() error                 { panic("stub") }
func (w *PartWriter) Info() PartInfo               { panic("stub") }

// NewPartWriter starts part number (1-based) of the envelope, writing
// ciphertext to dst in large writes (>= 1 MiB when the part is that big).
func (k *Key) NewPartWriter(dst io.Writer, number int) (*PartWriter, error) { panic("stub") }

// Table is the authenticated list of parts, in object order.
type Table struct{ Parts []PartInfo }

// SealTable encodes parts with a MAC under the data key.
func (k *Key) SealTable(parts []PartInfo) ([]byte, error) { panic("stub") }

// OpenTable decodes and authenticates a table (ErrAuth, ErrFormat).
func (k *Key) OpenTable(b []byte) (*Table, error) { panic("stub") }

// Size is the plaintext size of the whole object.
func (t *Table) Size() int64 { panic("stub") }

// NewRangeReader returns plaintext [off, off+n) of an object whose part
// bodies are concatenated in body. It reads only the segments covering the
// range, in large reads, and releases a segment's plaintext only after its
// tag verifies; any failure is returned from Read (wrapping ErrAuth).
func (k *Key) NewRangeReader(body io.ReaderAt, t *Table, off, n int64) (io.ReadCloser, error) {
	panic("stub")
}

// Encrypt returns a writer that encrypts a single-file envelope (header,
// one part, part table trailer) to dst; Close finishes it.
func Encrypt(dst io.Writer, recipients []Recipient, opts *Options) (io.WriteCloser, error) {
	panic("stub")
}

// Decrypt reads a single-file envelope sequentially. Plaintext is released
// segment by segment as tags verify; the part table trailer is checked at
// the end, and Read returns an error instead of io.EOF if it fails.
func Decrypt(src io.Reader, identities ...Identity) (io.Reader, error) { panic("stub") }
