package envelope

import (
	"encoding/binary"
	"fmt"
	"io"
)

// appendFooter appends the single-file footer: the table length and the
// end magic, so that a reader holding an io.ReaderAt finds the table from
// the end of the file.
func appendFooter(b []byte, tableLen int) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(tableLen))
	b = append(b, footerMagic...)
	return append(b, formatV1, 0)
}

// parseFooter returns the table length a footer announces.
func parseFooter(f []byte) (int, error) {
	if len(f) != footerSize || string(f[4:10]) != footerMagic || f[10] != formatV1 || f[11] != 0 {
		return 0, fmt.Errorf("%w: bad footer (not a complete single-file envelope)", ErrFormat)
	}
	n := int(binary.BigEndian.Uint32(f[:4]))
	if n < tableSize(0) || n > tableSize(MaxParts) || (n-tableSize(0))%tableEntrySize != 0 {
		return 0, fmt.Errorf("%w: footer announces a %d-byte part table", ErrFormat, n)
	}
	return n, nil
}

// FooterSize is the size of the single-file footer; MaxTrailerSize the
// largest table plus footer.
const (
	FooterSize     = footerSize
	MaxTrailerSize = tableSizeMax + footerSize + maxFileRecord + sigFooterSize
	tableSizeMax   = tableFixedSize + MaxParts*tableEntrySize + macSize
)

// ParseTrailer takes the last bytes of a single-file envelope (at least
// its table and footer, and its signed record when it is signed) and
// returns the sealed table bytes.
func ParseTrailer(tail []byte) ([]byte, error) {
	t, _, _, err := SplitTrailer(tail)
	return t, err
}

// SplitTrailer is ParseTrailer that also returns the signed record (nil
// for an unsigned file) and the length of the whole trailer (table,
// footer, and signed record with its footer).
func SplitTrailer(tail []byte) (table, signed []byte, trailerLen int, err error) {
	n, signed, err := splitSignature(tail)
	if err != nil {
		return nil, nil, 0, err
	}
	t, err := parseTrailerV1(tail[:len(tail)-n])
	if err != nil {
		return nil, nil, 0, err
	}
	return t, signed, n + len(t) + footerSize, nil
}

func parseTrailerV1(tail []byte) ([]byte, error) {
	if len(tail) < footerSize {
		return nil, fmt.Errorf("%w: no footer", ErrFormat)
	}
	tl, err := parseFooter(tail[len(tail)-footerSize:])
	if err != nil {
		return nil, err
	}
	if len(tail) < footerSize+tl {
		return nil, fmt.Errorf("%w: part table truncated", ErrFormat)
	}
	return tail[len(tail)-footerSize-tl : len(tail)-footerSize], nil
}

// FileLayout locates the regions of a single-file envelope:
// header || part bodies || table || footer.
type FileLayout struct {
	Header      *Header
	HeaderSize  int64
	BodyOffset  int64 // == HeaderSize
	BodySize    int64 // from the footer; not yet checked against the table
	TableOffset int64
	Table       []byte // the sealed table bytes (Key.OpenTable authenticates them)
	FileSize    int64
	Signed      []byte // the signed record of a signed (v2) file, else nil; VerifyFile checks it
}

// ReadFileLayout parses the header and the footer of a single-file
// envelope of the given size and reads its sealed table. Nothing is
// authenticated: Header.Unwrap and Key.OpenTable do that.
func ReadFileLayout(r io.ReaderAt, size int64) (*FileLayout, error) {
	fileSize := size
	sigLen, signed, err := readSignature(r, size)
	if err != nil {
		return nil, err
	}
	size -= sigLen
	h, err := ReadHeader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, err
	}
	hs := int64(h.Size())
	if size < hs+footerSize+int64(tableSize(0)) {
		return nil, fmt.Errorf("%w: file of %d bytes too short for its header, table and footer", ErrFormat, size)
	}
	var f [footerSize]byte
	if _, err := r.ReadAt(f[:], size-footerSize); err != nil {
		return nil, fmt.Errorf("envelope: reading footer: %w", err)
	}
	tl, err := parseFooter(f[:])
	if err != nil {
		return nil, err
	}
	to := size - footerSize - int64(tl)
	if to < hs {
		return nil, fmt.Errorf("%w: part table overlaps the header", ErrFormat)
	}
	t := make([]byte, tl)
	if _, err := r.ReadAt(t, to); err != nil {
		return nil, fmt.Errorf("envelope: reading part table: %w", err)
	}
	return &FileLayout{Header: h, HeaderSize: hs, BodyOffset: hs, BodySize: to - hs, TableOffset: to, Table: t, FileSize: fileSize, Signed: signed}, nil
}

// DecryptReaderAt decrypts a single-file envelope of any number of parts
// through an io.ReaderAt: it authenticates the header and the part table
// first, checks that the part bodies have exactly the size the table
// describes, then streams the plaintext (segments verified as they go).
// It also returns the authenticated table.
func DecryptReaderAt(r io.ReaderAt, size int64, identities ...Identity) (io.ReadCloser, *Table, error) {
	l, err := ReadFileLayout(r, size)
	if err != nil {
		return nil, nil, err
	}
	return DecryptLayout(r, l, identities...)
}

// DecryptLayout is DecryptReaderAt for a layout already read (and, for a
// signed file, verified with VerifyFile). Both open segments on every
// core (NewParallelRangeReader): a whole file is one long read.
func DecryptLayout(r io.ReaderAt, l *FileLayout, identities ...Identity) (io.ReadCloser, *Table, error) {
	k, err := l.Header.Unwrap(identities...)
	if err != nil {
		return nil, nil, err
	}
	t, err := k.OpenTable(l.Table)
	if err != nil {
		return nil, nil, err
	}
	rr, err := k.NewParallelRangeReader(io.NewSectionReader(r, l.BodyOffset, l.BodySize), t, 0, t.Size(), 0)
	if err != nil {
		return nil, nil, err
	}
	return rr, t, nil
}
