package envelope

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Options tunes a new envelope. The zero value means the defaults.
type Options struct {
	SegmentSize int // plaintext bytes per segment; 0 means DefaultSegmentSize
}

// Header is the parsed envelope header: format version, suite, segment
// size, salt, recipient stanzas, key commitment and header MAC.
type Header struct {
	segmentSize int
	salt        [saltSize]byte
	stanzas     []Stanza
	commitment  [commitSize]byte
	mac         [macSize]byte
}

// Stanzas lists the wrapped keys (type and key ID are what inspect shows).
func (h *Header) Stanzas() []Stanza {
	out := make([]Stanza, len(h.stanzas))
	for i, s := range h.stanzas {
		out[i] = Stanza{Type: s.Type, KeyID: s.KeyID, Body: bytes.Clone(s.Body)}
	}
	return out
}

// SegmentSize is the plaintext segment size of the envelope.
func (h *Header) SegmentSize() int { return h.segmentSize }

// Version is the format version of the header (1).
func (h *Header) Version() int { return formatV1 }

// Suite names the AEAD suite of the header.
func (h *Header) Suite() string { return "AES-256-GCM" }

// Size is the encoded size of the header in bytes.
func (h *Header) Size() int {
	n := headerFixedSize + commitSize + macSize
	for _, s := range h.stanzas {
		n += 1 + len(s.Type) + keyIDSize + 2 + len(s.Body)
	}
	return n
}

// MarshalBinary encodes the header.
func (h *Header) MarshalBinary() ([]byte, error) {
	b, err := h.appendUnsigned(make([]byte, 0, h.Size()))
	if err != nil {
		return nil, err
	}
	b = append(b, h.mac[:]...)
	return b, nil
}

// appendUnsigned appends every header field up to, not including, the MAC.
func (h *Header) appendUnsigned(b []byte) ([]byte, error) {
	if err := checkSegmentSize(h.segmentSize); err != nil {
		return nil, err
	}
	if len(h.stanzas) < 1 || len(h.stanzas) > MaxStanzas {
		return nil, fmt.Errorf("envelope: header has %d stanzas, want 1..%d", len(h.stanzas), MaxStanzas)
	}
	b = append(b, headerMagic...)
	b = append(b, formatV1, suiteAES256G)
	b = binary.BigEndian.AppendUint32(b, uint32(h.segmentSize))
	b = append(b, h.salt[:]...)
	b = append(b, byte(len(h.stanzas)))
	for i, s := range h.stanzas {
		if err := checkStanzaType(s.Type); err != nil {
			return nil, fmt.Errorf("%w (stanza %d)", err, i)
		}
		id, err := decodeKeyID(s.KeyID)
		if err != nil {
			return nil, fmt.Errorf("%w (stanza %d)", err, i)
		}
		if len(s.Body) < 1 || len(s.Body) > MaxStanzaBody {
			return nil, fmt.Errorf("envelope: stanza %d body is %d bytes, want 1..%d", i, len(s.Body), MaxStanzaBody)
		}
		b = append(b, byte(len(s.Type)))
		b = append(b, s.Type...)
		b = append(b, id[:]...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Body)))
		b = append(b, s.Body...)
	}
	b = append(b, h.commitment[:]...)
	return b, nil
}

// CheckSegmentSize reports whether n is a valid segment size.
func CheckSegmentSize(n int) error { return checkSegmentSize(n) }

func checkSegmentSize(n int) error {
	if n < MinSegmentSize || n > MaxSegmentSize {
		return fmt.Errorf("%w: segment size %d outside %d..%d", ErrFormat, n, MinSegmentSize, MaxSegmentSize)
	}
	return nil
}

// checkStanzaType accepts 1..32 characters of [a-z0-9-]; unknown types
// parse (an identity simply never matches them).
func checkStanzaType(t string) error {
	if len(t) < 1 || len(t) > maxTypeLen {
		return fmt.Errorf("%w: stanza type length %d outside 1..%d", ErrFormat, len(t), maxTypeLen)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%w: stanza type %q has a character outside [a-z0-9-]", ErrFormat, t)
		}
	}
	return nil
}

func decodeKeyID(s string) ([keyIDSize]byte, error) {
	var id [keyIDSize]byte
	if len(s) != 2*keyIDSize {
		return id, fmt.Errorf("%w: key ID %q is not %d hex digits", ErrFormat, s, 2*keyIDSize)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil || hex.EncodeToString(id[:]) != s {
		return id, fmt.Errorf("%w: key ID %q is not lowercase hex", ErrFormat, s)
	}
	return id, nil
}

// ParseHeader decodes a header (bounded: rejects absurd stanza counts/sizes).
// b must hold exactly one header.
func ParseHeader(b []byte) (*Header, error) {
	r := bytes.NewReader(b)
	h, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the header", ErrFormat, r.Len())
	}
	return h, nil
}

// ReadHeader reads one header from the front of a stream, consuming
// exactly its bytes. Nothing is authenticated yet: that needs the data
// key (Unwrap).
func ReadHeader(r io.Reader) (*Header, error) {
	var fixed [headerFixedSize]byte
	if err := readFull(r, fixed[:], "header"); err != nil {
		return nil, err
	}
	if string(fixed[:6]) != headerMagic {
		return nil, fmt.Errorf("%w: not an envelope (bad header magic)", ErrFormat)
	}
	if fixed[6] != formatV1 {
		return nil, fmt.Errorf("%w: unsupported format version %d", ErrFormat, fixed[6])
	}
	if fixed[7] != suiteAES256G {
		return nil, fmt.Errorf("%w: unsupported AEAD suite %d", ErrFormat, fixed[7])
	}
	h := &Header{segmentSize: int(binary.BigEndian.Uint32(fixed[8:12]))}
	if err := checkSegmentSize(h.segmentSize); err != nil {
		return nil, err
	}
	copy(h.salt[:], fixed[12:28])
	n := int(fixed[28])
	if n < 1 || n > MaxStanzas {
		return nil, fmt.Errorf("%w: header has %d stanzas, want 1..%d", ErrFormat, n, MaxStanzas)
	}
	h.stanzas = make([]Stanza, 0, n)
	for i := 0; i < n; i++ {
		var tl [1]byte
		if err := readFull(r, tl[:], "stanza type length"); err != nil {
			return nil, err
		}
		if tl[0] < 1 || tl[0] > maxTypeLen {
			return nil, fmt.Errorf("%w: stanza %d type length %d outside 1..%d", ErrFormat, i, tl[0], maxTypeLen)
		}
		rest := make([]byte, int(tl[0])+keyIDSize+2)
		if err := readFull(r, rest, "stanza"); err != nil {
			return nil, err
		}
		typ := string(rest[:tl[0]])
		if err := checkStanzaType(typ); err != nil {
			return nil, fmt.Errorf("%w (stanza %d)", err, i)
		}
		id := rest[tl[0] : int(tl[0])+keyIDSize]
		bl := int(binary.BigEndian.Uint16(rest[len(rest)-2:]))
		if bl < 1 || bl > MaxStanzaBody {
			return nil, fmt.Errorf("%w: stanza %d body length %d outside 1..%d", ErrFormat, i, bl, MaxStanzaBody)
		}
		body := make([]byte, bl)
		if err := readFull(r, body, "stanza body"); err != nil {
			return nil, err
		}
		h.stanzas = append(h.stanzas, Stanza{Type: typ, KeyID: hex.EncodeToString(id), Body: body})
	}
	var tail [commitSize + macSize]byte
	if err := readFull(r, tail[:], "header commitment and MAC"); err != nil {
		return nil, err
	}
	copy(h.commitment[:], tail[:commitSize])
	copy(h.mac[:], tail[commitSize:])
	return h, nil
}

// readFull is io.ReadFull with format errors that say what was cut short.
func readFull(r io.Reader, b []byte, what string) error {
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: truncated %s", ErrFormat, what)
		}
		return fmt.Errorf("envelope: reading %s: %w", what, err)
	}
	return nil
}

// NewHeader makes a fresh random data key and a header sealing it for every
// recipient.
func NewHeader(recipients []Recipient, opts *Options) (*Header, *Key, error) {
	seg := DefaultSegmentSize
	if opts != nil && opts.SegmentSize != 0 {
		seg = opts.SegmentSize
	}
	if err := checkSegmentSize(seg); err != nil {
		return nil, nil, err
	}
	if len(recipients) == 0 {
		return nil, nil, errors.New("envelope: no recipients")
	}
	var data [keySize]byte
	if _, err := rand.Read(data[:]); err != nil {
		return nil, nil, err
	}
	salt, err := randomSalt()
	if err != nil {
		return nil, nil, err
	}
	k, err := deriveKey(data[:], salt, seg)
	if err != nil {
		return nil, nil, err
	}
	h := &Header{segmentSize: seg, salt: salt, commitment: k.commitment}
	h, err = k.rewrap(h, recipients, nil)
	if err != nil {
		return nil, nil, err
	}
	return h, k, nil
}

// sign sets the header MAC under k.
func (h *Header) sign(k *Key) error {
	b, err := h.appendUnsigned(make([]byte, 0, h.Size()))
	if err != nil {
		return err
	}
	h.mac = mac(k.headerMAC[:], b)
	return nil
}

// verify checks, in this order and in constant time, that k is the key
// the header commits to and that the header MAC is valid under it.
func (h *Header) verify(k *Key) error {
	if k.segmentSize != h.segmentSize || k.headerSalt != h.salt {
		return fmt.Errorf("%w: key belongs to another header", ErrAuth)
	}
	if !k.commits(h.commitment) {
		return fmt.Errorf("%w: data key does not match the header's key commitment", ErrAuth)
	}
	b, err := h.appendUnsigned(make([]byte, 0, h.Size()))
	if err != nil {
		return err
	}
	want := mac(k.headerMAC[:], b)
	if !hmac.Equal(want[:], h.mac[:]) {
		return fmt.Errorf("%w: header MAC mismatch", ErrAuth)
	}
	return nil
}

// Unwrap opens the data key with the first identity that matches a stanza,
// then checks the key commitment and the header MAC; ErrNoIdentity when
// none matches, ErrAuth when the commitment or MAC fails.
//
// Only stanzas whose type and key ID equal the identity's are tried: the
// key ID is bound into every wrapping, so no other stanza could open.
func (h *Header) Unwrap(identities ...Identity) (*Key, error) {
	var firstErr error
	for _, id := range identities {
		for i := range h.stanzas {
			s := &h.stanzas[i]
			if s.Type != id.Type() || s.KeyID != id.KeyID() {
				continue
			}
			data, err := id.Unwrap(s)
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("%w (stanza %d: %s %s)", err, i, s.Type, s.KeyID)
				}
				continue
			}
			k, err := deriveKey(data, h.salt, h.segmentSize)
			clear(data)
			if err != nil {
				return nil, err
			}
			// A stanza that opens to a key the header does not commit to is
			// an attack or corruption, never a reason to try further stanzas.
			if err := h.verify(k); err != nil {
				return nil, err
			}
			k.identities = identities
			return k, nil
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	ids := make([]string, 0, len(h.stanzas))
	for _, s := range h.stanzas {
		ids = append(ids, s.Type+" "+s.KeyID)
	}
	return nil, fmt.Errorf("%w (envelope recipients: %s)", ErrNoIdentity, strings.Join(ids, ", "))
}

// Rewrap returns a new header for the same data key: stanzas whose key ID
// is in remove are dropped, add are sealed anew (replacing a stanza with
// the same key ID). Salt, segment size and commitment stay, so the part
// bodies and the part table remain valid. Data is untouched.
func (k *Key) Rewrap(h *Header, add []Recipient, remove []string) (*Header, error) {
	if err := h.verify(k); err != nil {
		return nil, err
	}
	return k.rewrap(h, add, remove)
}

func (k *Key) rewrap(h *Header, add []Recipient, remove []string) (*Header, error) {
	drop := map[string]bool{}
	for _, id := range remove {
		drop[id] = true
	}
	for _, r := range add {
		drop[r.KeyID()] = true
	}
	nh := &Header{segmentSize: h.segmentSize, salt: h.salt, commitment: h.commitment}
	for _, s := range h.stanzas {
		if !drop[s.KeyID] {
			nh.stanzas = append(nh.stanzas, Stanza{Type: s.Type, KeyID: s.KeyID, Body: bytes.Clone(s.Body)})
		}
	}
	seen := map[string]bool{}
	for _, r := range add {
		if seen[r.KeyID()] {
			continue
		}
		seen[r.KeyID()] = true
		s, err := r.Wrap(k.data[:])
		if err != nil {
			return nil, fmt.Errorf("envelope: wrapping for %s %s: %w", r.Type(), r.KeyID(), err)
		}
		nh.stanzas = append(nh.stanzas, *s)
	}
	if len(nh.stanzas) == 0 {
		return nil, errors.New("envelope: rewrap would leave no recipient")
	}
	if len(nh.stanzas) > MaxStanzas {
		return nil, fmt.Errorf("envelope: %d recipients, at most %d", len(nh.stanzas), MaxStanzas)
	}
	if err := nh.sign(k); err != nil {
		return nil, err
	}
	return nh, nil
}
