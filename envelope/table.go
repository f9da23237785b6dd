package envelope

import (
	"crypto/hmac"
	"encoding/binary"
	"fmt"
)

// Table is the authenticated list of parts, in object order. In a table
// of version 2 every part has its own part header (HeaderLen > 0): its
// body starts with an envelope header sealing the part's own data key.
type Table struct{ Parts []PartInfo }

// PerPartKeys reports whether the table's parts carry their own headers
// (table version 2).
func (t *Table) PerPartKeys() bool { return len(t.Parts) > 0 && t.Parts[0].HeaderLen > 0 }

// Size is the plaintext size of the whole object.
func (t *Table) Size() int64 {
	var n int64
	for _, p := range t.Parts {
		n += p.Size
	}
	return n
}

// BodySize is the size of the concatenated part bodies the table describes.
func (t *Table) BodySize(segmentSize int) int64 {
	var n int64
	for _, p := range t.Parts {
		n += p.StoredSize(segmentSize)
	}
	return n
}

// StoredSize is the size of the part's stored body: its part header, if
// any, then salt and segments.
func (p PartInfo) StoredSize(segmentSize int) int64 {
	return int64(p.HeaderLen) + CiphertextSize(p.Size, segmentSize)
}

func checkParts(parts []PartInfo) error {
	if len(parts) > MaxParts {
		return fmt.Errorf("%w: %d parts, at most %d", ErrFormat, len(parts), MaxParts)
	}
	prev := 0
	perPart := len(parts) > 0 && parts[0].HeaderLen > 0
	for i, p := range parts {
		if (p.HeaderLen > 0) != perPart || p.HeaderLen < 0 || p.HeaderLen > maxHeaderSize {
			return fmt.Errorf("%w: table entry %d: part header length %d (every entry has a part header, or none)", ErrFormat, i, p.HeaderLen)
		}
		if p.Number < 1 || p.Number > MaxParts {
			return fmt.Errorf("%w: table entry %d: part number %d outside 1..%d", ErrFormat, i, p.Number, MaxParts)
		}
		if p.Number <= prev {
			return fmt.Errorf("%w: table entry %d: part number %d does not follow %d", ErrFormat, i, p.Number, prev)
		}
		if p.Size < 0 || p.Size > MaxPartSize {
			return fmt.Errorf("%w: table entry %d: part size %d outside 0..%d", ErrFormat, i, p.Size, int64(MaxPartSize))
		}
		prev = p.Number
	}
	return nil
}

// SealTable encodes parts with a MAC under the data key. Part numbers must
// strictly increase (S3 allows gaps).
func (k *Key) SealTable(parts []PartInfo) ([]byte, error) {
	if err := checkParts(parts); err != nil {
		return nil, err
	}
	v := formatV1
	if len(parts) > 0 && parts[0].HeaderLen > 0 {
		v = tableV2
	}
	b := make([]byte, 0, tableSizeV(v, len(parts)))
	b = append(b, tableMagic...)
	b = append(b, byte(v), 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(parts)))
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(p.Number))
		b = append(b, p.Salt[:]...)
		b = binary.BigEndian.AppendUint64(b, uint64(p.Size))
		if v == tableV2 {
			b = binary.BigEndian.AppendUint32(b, uint32(p.HeaderLen))
			b = append(b, p.HeaderHash[:]...)
		}
	}
	m := mac(k.tableMAC[:], b)
	return append(b, m[:]...), nil
}

// OpenTable decodes and authenticates a table (ErrAuth, ErrFormat).
func (k *Key) OpenTable(b []byte) (*Table, error) {
	t, err := ParseTableUnauthenticated(b)
	if err != nil {
		return nil, err
	}
	body := b[:len(b)-macSize]
	want := mac(k.tableMAC[:], body)
	if !hmac.Equal(want[:], b[len(body):]) {
		return nil, fmt.Errorf("%w: part table MAC mismatch", ErrAuth)
	}
	return t, nil
}

// ParseTableUnauthenticated decodes a table WITHOUT checking its MAC, for
// inspection tools that hold no key. Nothing it returns may be trusted;
// readers use Key.OpenTable.
func ParseTableUnauthenticated(b []byte) (*Table, error) {
	if len(b) < tableSize(0) {
		return nil, fmt.Errorf("%w: part table is %d bytes, too short", ErrFormat, len(b))
	}
	if string(b[:6]) != tableMagic {
		return nil, fmt.Errorf("%w: bad part table magic", ErrFormat)
	}
	v := int(b[6])
	if (v != formatV1 && v != tableV2) || b[7] != 0 {
		return nil, fmt.Errorf("%w: unsupported part table version %d.%d", ErrFormat, b[6], b[7])
	}
	n := binary.BigEndian.Uint32(b[8:12])
	if n > MaxParts {
		return nil, fmt.Errorf("%w: part table claims %d parts, at most %d", ErrFormat, n, MaxParts)
	}
	if v == tableV2 && n == 0 {
		return nil, fmt.Errorf("%w: a version 2 part table lists no part", ErrFormat)
	}
	if len(b) != tableSizeV(v, int(n)) {
		return nil, fmt.Errorf("%w: part table of %d parts is %d bytes, want %d", ErrFormat, n, len(b), tableSizeV(v, int(n)))
	}
	t := &Table{Parts: make([]PartInfo, n)}
	e := b[tableFixedSize:]
	for i := range t.Parts {
		p := &t.Parts[i]
		p.Number = int(binary.BigEndian.Uint32(e[0:4]))
		copy(p.Salt[:], e[4:20])
		sz := binary.BigEndian.Uint64(e[20:28])
		if sz > MaxPartSize {
			return nil, fmt.Errorf("%w: table entry %d: part size %d outside 0..%d", ErrFormat, i, sz, int64(MaxPartSize))
		}
		p.Size = int64(sz)
		e = e[tableEntrySize:]
		if v == tableV2 {
			hl := binary.BigEndian.Uint32(e[0:4])
			if hl == 0 || hl > maxHeaderSize {
				return nil, fmt.Errorf("%w: table entry %d: part header length %d outside 1..%d", ErrFormat, i, hl, maxHeaderSize)
			}
			p.HeaderLen = int(hl)
			copy(p.HeaderHash[:], e[4:36])
			e = e[tableEntryV2Extra:]
		}
	}
	if err := checkParts(t.Parts); err != nil {
		return nil, err
	}
	return t, nil
}
