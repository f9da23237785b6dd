package xbstream

import (
	"fmt"
	"io"
)

// DefaultChunkSize is the payload size of the chunks the backup tools
// write (10 MiB), and therefore the size of most objects xbcloud uploads.
const DefaultChunkSize = 10 << 20

// Writer writes chunks to a stream.
type Writer struct {
	w io.Writer
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteChunk writes one chunk, computing its CRC.
func (x *Writer) WriteChunk(c *Chunk) error {
	if c.Type == TypeSparse {
		var total uint64
		for _, e := range c.Sparse {
			total += uint64(e.Len)
		}
		if total != uint64(len(c.Payload)) {
			return fmt.Errorf("xbstream: %s: sparse map covers %d bytes", c, total)
		}
	}
	if err := writeChunk(x.w, c); err != nil {
		return fmt.Errorf("xbstream: writing %s: %w", c, err)
	}
	return nil
}

// WriteFile writes the whole of r as the file name: payload chunks of at
// most chunkSize bytes (DefaultChunkSize when 0), then the EOF chunk.
func (x *Writer) WriteFile(name string, r io.Reader, chunkSize int) error {
	if chunkSize <= 0 {
		chunkSize = DefaultChunkSize
	}
	buf := make([]byte, chunkSize)
	var off uint64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if werr := x.WriteChunk(&Chunk{Type: TypePayload, Path: name, Offset: off, Payload: buf[:n]}); werr != nil {
				return werr
			}
			off += uint64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return fmt.Errorf("xbstream: reading %q: %w", name, err)
		}
	}
	return x.WriteChunk(&Chunk{Type: TypeEOF, Path: name})
}
