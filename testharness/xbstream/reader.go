package xbstream

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Reader reads chunks from a stream and verifies each chunk's CRC.
type Reader struct {
	r   *bufio.Reader
	off int64
}

// NewReader returns a Reader of the stream r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 1<<20)}
}

// Next returns the next chunk, io.EOF at a clean end of stream (between
// chunks), and an error wrapping ErrFormat, ErrChecksum or
// io.ErrUnexpectedEOF otherwise. Each returned chunk owns its memory:
// Raw holds the chunk's bytes and Payload is a slice of Raw.
func (x *Reader) Next() (*Chunk, error) {
	start := x.off
	raw := make([]byte, 0, 64)
	read := func(n int) ([]byte, error) {
		i := len(raw)
		if cap(raw)-i < n {
			grown := make([]byte, i, 2*cap(raw)+n)
			copy(grown, raw)
			raw = grown
		}
		raw = raw[:i+n]
		m, err := io.ReadFull(x.r, raw[i:])
		x.off += int64(m)
		if err != nil {
			if err == io.EOF && !(i == 0) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return raw[i:], nil
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w at stream offset %d: %s", ErrFormat, start, fmt.Sprintf(format, a...))
	}
	b, err := read(8 + 1 + 1 + 4)
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("xbstream: chunk at stream offset %d: %w", start, unexpected(err))
	}
	if string(b[:8]) != Magic {
		return nil, fail("bad magic %q", b[:8])
	}
	c := &Chunk{Flags: b[8], Type: b[9], rawOffset: start}
	plen := binary.LittleEndian.Uint32(b[10:])
	if plen == 0 || plen > MaxPathLen {
		return nil, fail("path length %d", plen)
	}
	if b, err = read(int(plen)); err != nil {
		return nil, fmt.Errorf("xbstream: chunk at stream offset %d: %w", start, unexpected(err))
	}
	c.Path = string(b)
	if err := checkPath(c.Path); err != nil {
		return nil, fmt.Errorf("%w (stream offset %d)", err, start)
	}
	switch c.Type {
	case TypeEOF:
		c.Raw = raw
		return c, nil
	case TypePayload, TypeSparse:
	default:
		if c.Flags&FlagIgnorable != 0 {
			return nil, fail("ignorable chunk type %q is not supported", c.Type)
		}
		return nil, fail("unknown chunk type %q", c.Type)
	}
	var nmap uint32
	if c.Type == TypeSparse {
		if b, err = read(4); err != nil {
			return nil, fmt.Errorf("xbstream: %s: %w", c, unexpected(err))
		}
		nmap = binary.LittleEndian.Uint32(b)
		if nmap > MaxSparseMap {
			return nil, fail("sparse map of %d entries", nmap)
		}
	}
	if b, err = read(8 + 8 + 4); err != nil {
		return nil, fmt.Errorf("xbstream: %s: %w", c, unexpected(err))
	}
	n := binary.LittleEndian.Uint64(b)
	c.Offset = binary.LittleEndian.Uint64(b[8:])
	c.CRC = binary.LittleEndian.Uint32(b[16:])
	if n > MaxPayloadLen {
		return nil, fail("payload length %d above the limit %d", n, MaxPayloadLen)
	}
	// Grow once for the map and payload, so that Payload can alias Raw.
	grown := make([]byte, len(raw), len(raw)+int(nmap)*8+int(n))
	copy(grown, raw)
	raw = grown
	var sm []byte
	if nmap > 0 {
		if sm, err = read(int(nmap) * 8); err != nil {
			return nil, fmt.Errorf("xbstream: %s: %w", c, unexpected(err))
		}
		var total uint64
		for i := 0; i < int(nmap); i++ {
			e := SparseEntry{binary.LittleEndian.Uint32(sm[8*i:]), binary.LittleEndian.Uint32(sm[8*i+4:])}
			total += uint64(e.Len)
			c.Sparse = append(c.Sparse, e)
		}
		if total != n {
			return nil, fail("sparse map covers %d bytes, payload has %d", total, n)
		}
	}
	if c.Payload, err = read(int(n)); err != nil {
		return nil, fmt.Errorf("xbstream: %s: %w", c, unexpected(err))
	}
	if got := checksum(sm, c.Payload); got != c.CRC {
		return nil, fmt.Errorf("%w: %s (stream offset %d): stored %08x, computed %08x", ErrChecksum, c, start, c.CRC, got)
	}
	c.Raw = raw
	return c, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
