package envelope

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
)

// NewSealedPart starts part number (1-based) of an object whose parts
// each have their own data key (table version 2): it draws a fresh data
// key, seals it for recipients in a part header, writes that header to
// dst and returns the writer of the part body under that key.
//
// The writer wipes the data key on Close. The host that wrote a part thus
// keeps nothing that decrypts it: like a whole object, a part in progress
// opens only with a recipient's private key. Wrapping costs one KEM
// encapsulation per recipient per part, never per byte.
func NewSealedPart(dst io.Writer, recipients []Recipient, opts *Options, number int) (*PartWriter, error) {
	h, k, err := NewHeader(recipients, opts)
	if err != nil {
		return nil, err
	}
	hb, err := h.MarshalBinary()
	if err != nil {
		k.wipe()
		return nil, err
	}
	pw, err := k.NewPartWriter(dst, number)
	if err != nil {
		k.wipe()
		return nil, err
	}
	if _, err := dst.Write(hb); err != nil {
		pw.release()
		k.wipe()
		return nil, fmt.Errorf("envelope: writing the header of part %d: %w", number, err)
	}
	pw.info.HeaderLen = len(hb)
	pw.info.HeaderHash = sha256.Sum256(hb)
	pw.ownKey = k
	return pw, nil
}

// wipe clears the key material the Key holds (the AEADs already derived
// from it keep their own schedules until collected).
func (k *Key) wipe() {
	clear(k.data[:])
	clear(k.headerMAC[:])
	clear(k.tableMAC[:])
}

// partKey opens the data key of a part with its own header: the header
// is read from the start of the part's stored body, held to the table's
// length and SHA-256 (which the table MAC and the object's signed record
// bind), and unwrapped with the identities that opened the object.
func (r *rangeReader) partKey(p *partLoc) (*Key, error) {
	if p.HeaderLen == 0 {
		return r.k, nil
	}
	if r.pkIndex == p.Number && r.pk != nil {
		return r.pk, nil
	}
	if len(r.k.identities) == 0 {
		return nil, fmt.Errorf("envelope: part %d has its own header; reading it needs the identities that opened the object", p.Number)
	}
	hb := make([]byte, p.HeaderLen)
	if n, err := r.body.ReadAt(hb, p.hdrOff); n < len(hb) {
		if err == nil || err == io.EOF {
			return nil, fmt.Errorf("%w: part %d header is truncated (at offset %d)", ErrAuth, p.Number, p.hdrOff+int64(n))
		}
		return nil, fmt.Errorf("envelope: reading the header of part %d at offset %d: %w", p.Number, p.hdrOff, err)
	}
	sum := sha256.Sum256(hb)
	if subtle.ConstantTimeCompare(sum[:], p.HeaderHash[:]) != 1 {
		return nil, fmt.Errorf("%w: part %d header differs from the part table (wrong or spliced part)", ErrAuth, p.Number)
	}
	h, err := ParseHeader(hb)
	if err != nil {
		return nil, fmt.Errorf("part %d header: %w", p.Number, err)
	}
	if h.segmentSize != r.seg {
		return nil, fmt.Errorf("%w: part %d has segment size %d, the object %d", ErrFormat, p.Number, h.segmentSize, r.seg)
	}
	k, err := h.Unwrap(r.k.identities...)
	if err != nil {
		return nil, fmt.Errorf("part %d: %w", p.Number, err)
	}
	r.pk, r.pkIndex = k, p.Number
	return k, nil
}

// PartStoredSizes returns the stored size of each of the record's parts.
// A part with its own header (table version 2) stores that header before
// its salt and segments; the table, which Check holds to the record's
// signed table hash, says how long each is. The table's part sizes must
// equal the record's. Call it after Check: it trusts table.
func (r *Record) PartStoredSizes(table []byte, segmentSize int) ([]int64, error) {
	t, err := ParseTableUnauthenticated(table)
	if err != nil {
		return nil, err
	}
	if err := r.CheckTable(t); err != nil {
		return nil, err
	}
	out := make([]int64, len(t.Parts))
	for i, p := range t.Parts {
		out[i] = p.StoredSize(segmentSize)
	}
	return out, nil
}

// RewrapPartHeader reads the part header of table entry p at off in
// stored, holds it to the entry (length, SHA-256, segment size), opens the
// part's data key with identities and returns a new part header for the
// same key: stanzas whose key ID is in remove dropped, add sealed anew
// (Key.Rewrap). The part's salt and segments stay valid as they are.
func RewrapPartHeader(stored io.ReaderAt, off int64, p PartInfo, segmentSize int, identities []Identity, add []Recipient, remove []string) ([]byte, error) {
	r := &rangeReader{k: &Key{identities: identities}, body: stored, seg: segmentSize}
	pk, err := r.partKey(&partLoc{PartInfo: p, hdrOff: off})
	if err != nil {
		return nil, err
	}
	defer pk.wipe()
	hb := make([]byte, p.HeaderLen)
	if _, err := stored.ReadAt(hb, off); err != nil {
		return nil, fmt.Errorf("envelope: reading the header of part %d: %w", p.Number, err)
	}
	h, err := ParseHeader(hb)
	if err != nil {
		return nil, err
	}
	nh, err := pk.Rewrap(h, add, remove)
	if err != nil {
		return nil, fmt.Errorf("part %d: %w", p.Number, err)
	}
	return nh.MarshalBinary()
}
