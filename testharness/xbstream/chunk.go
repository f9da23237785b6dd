package xbstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// Magic opens every chunk.
const Magic = "XBSTCK01"

// Chunk types.
const (
	TypePayload = 'P'
	TypeSparse  = 'S'
	TypeEOF     = 'E'
)

// FlagIgnorable marks a chunk a reader may skip when it does not know its
// type.
const FlagIgnorable = 0x01

// Bounds on what a Reader accepts: paths like a filesystem's, payloads
// far above the 10 MiB the backup tools write but small enough that a
// corrupt length cannot make the reader allocate gigabytes.
const (
	MaxPathLen    = 4096
	MaxPayloadLen = 64 << 20
	MaxSparseMap  = 1 << 20
)

// ErrChecksum is returned (wrapped) when a chunk's CRC does not match.
var ErrChecksum = errors.New("xbstream: chunk checksum mismatch")

// ErrFormat is returned (wrapped) for bytes that are not a valid chunk.
var ErrFormat = errors.New("xbstream: malformed chunk")

// SparseEntry is one run of a sparse chunk: a hole of Skip bytes, then Len
// bytes of payload.
type SparseEntry struct {
	Skip, Len uint32
}

// Chunk is one parsed chunk.
type Chunk struct {
	Flags     byte
	Type      byte
	Path      string
	Offset    uint64        // file offset of the payload (P and S)
	Sparse    []SparseEntry // S only
	Payload   []byte        // P and S
	CRC       uint32        // as stored
	Raw       []byte        // the chunk's bytes exactly as read (Reader only)
	rawOffset int64
}

// String describes the chunk for error messages.
func (c *Chunk) String() string {
	if c.Type == TypeEOF {
		return fmt.Sprintf("EOF chunk of %q", c.Path)
	}
	return fmt.Sprintf("%c chunk of %q at offset %d (%d bytes)", c.Type, c.Path, c.Offset, len(c.Payload))
}

// Marshal returns the chunk's wire form, computing its CRC.
func (c *Chunk) Marshal() []byte {
	var b bytes.Buffer
	b.Grow(headerSize(c) + len(c.Payload))
	_ = writeChunk(&b, c)
	return b.Bytes()
}

func headerSize(c *Chunk) int {
	n := 8 + 1 + 1 + 4 + len(c.Path)
	if c.Type == TypeEOF {
		return n
	}
	if c.Type == TypeSparse {
		n += 4 + 8*len(c.Sparse)
	}
	return n + 8 + 8 + 4
}

func sparseBytes(m []SparseEntry) []byte {
	b := make([]byte, 8*len(m))
	for i, e := range m {
		binary.LittleEndian.PutUint32(b[8*i:], e.Skip)
		binary.LittleEndian.PutUint32(b[8*i+4:], e.Len)
	}
	return b
}

func checksum(sparse, payload []byte) uint32 {
	return crc32.Update(crc32.ChecksumIEEE(sparse), crc32.IEEETable, payload)
}

func writeChunk(w io.Writer, c *Chunk) error {
	if err := checkPath(c.Path); err != nil {
		return err
	}
	h := make([]byte, 0, headerSize(c))
	h = append(h, Magic...)
	h = append(h, c.Flags, c.Type)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(c.Path)))
	h = append(h, c.Path...)
	if c.Type == TypeEOF {
		_, err := w.Write(h)
		return err
	}
	var sm []byte
	if c.Type == TypeSparse {
		h = binary.LittleEndian.AppendUint32(h, uint32(len(c.Sparse)))
		sm = sparseBytes(c.Sparse)
	}
	h = binary.LittleEndian.AppendUint64(h, uint64(len(c.Payload)))
	h = binary.LittleEndian.AppendUint64(h, c.Offset)
	h = binary.LittleEndian.AppendUint32(h, checksum(sm, c.Payload))
	h = append(h, sm...)
	if _, err := w.Write(h); err != nil {
		return err
	}
	_, err := w.Write(c.Payload)
	return err
}

// checkPath accepts the relative, '/'-separated paths the backup tools
// write and rejects anything that could leave the extraction directory.
func checkPath(p string) error {
	if p == "" || len(p) > MaxPathLen {
		return fmt.Errorf("%w: path length %d", ErrFormat, len(p))
	}
	if strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) || strings.Contains(p, "\\") {
		return fmt.Errorf("%w: unsafe path %q", ErrFormat, p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return fmt.Errorf("%w: unsafe path %q", ErrFormat, p)
		}
	}
	return nil
}
