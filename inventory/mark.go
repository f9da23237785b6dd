package inventory

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The commit mark: where the acknowledged entries end, in one write.
//
// Every batch used to end by replacing the head: JSON of about 4.6 KB
// (most of it the signed checkpoint, which changes once a second at
// most) written into the kept temp file, truncated first, and exchanged
// with head. The truncation frees the file's blocks and makes ext4 start
// writing the new ones back at close (its replace-by-truncate heuristic),
// so that one step was 11 % of the gateway's CPU in the small-object
// bench, as much as the rest of the append together. What a batch has
// to leave behind is only where the entries it made durable end: the
// point below which a line that does not parse is damage rather than a
// torn append, and below which the file must not be shorter.
//
// So a batch now writes that point, 32 bytes, over the mark file at
// offset 0 with one pwrite(2) on a file the Log keeps open, and the head
// is replaced only when it carries a new checkpoint (signing, at most
// once per SignDelay, fsynced as before). Like the per-batch head it
// replaces, the mark is written without fsync, after the entries'
// fdatasync: it never names more than is durable, and after a machine
// crash it may name less (a stale mark), which costs what a stale head
// cost: the entries past it still count, and a damaged one among them
// reads as a torn tail. A mark that does not check (a torn write, which
// a 32-byte write within one sector should never be, or another file)
// is ignored the same way. The committed point is the greater of the
// head's and the mark's, so logs written by older gateways, which
// replace the head per batch and never write the mark, read as before,
// and an older gateway reading this log sees a head behind its entries,
// which it already treats as a stale head.
//
// Other processes appending to the volume see this process's batches
// through the entries file's size, as they did when a head write was
// lost: the cached head stays valid while the head file is unchanged,
// and rollForward counts the lines past it (files.go).

const (
	markName  = "committed"
	markMagic = "egwmark1"
	markSize  = 32
)

var markTable = crc32.MakeTable(crc32.Castagnoli)

// encodeMark lays out p as the mark: magic, entries, bytes (big endian)
// and a CRC-32C of the 24 bytes before it.
func encodeMark(b *[markSize]byte, p point) {
	copy(b[:8], markMagic)
	binary.BigEndian.PutUint64(b[8:16], uint64(p.N))
	binary.BigEndian.PutUint64(b[16:24], uint64(p.Bytes))
	binary.BigEndian.PutUint32(b[24:28], crc32.Checksum(b[:24], markTable))
	clear(b[28:])
}

// decodeMark returns the point of a mark, and false for anything that
// is not a whole, intact mark.
func decodeMark(b []byte) (point, bool) {
	if len(b) < markSize || !bytes.Equal(b[:8], []byte(markMagic)) ||
		binary.BigEndian.Uint32(b[24:28]) != crc32.Checksum(b[:24], markTable) {
		return point{}, false
	}
	p := point{N: int64(binary.BigEndian.Uint64(b[8:16])), Bytes: int64(binary.BigEndian.Uint64(b[16:24]))}
	if p.N < 0 || p.Bytes < 0 {
		return point{}, false
	}
	return p, true
}

// writeMark records p as the log's committed point, without fsync.
func writeMark(f *os.File, p point) error {
	var b [markSize]byte
	encodeMark(&b, p)
	if _, err := f.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("inventory: writing the commit mark: %w", err)
	}
	return nil
}

// readMark returns the committed point the mark file f records; the
// zero point when it records none that checks.
func readMark(f *os.File) (point, error) {
	var b [markSize]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return point{}, fmt.Errorf("inventory: reading the commit mark: %w", err)
	}
	p, _ := decodeMark(b[:n])
	return p, nil
}

// readMarkIn is readMark for the log in dir, for readers that keep no
// file open; a missing mark is the zero point.
func readMarkIn(dir string) (point, error) {
	f, err := os.Open(filepath.Join(dir, markName))
	if errors.Is(err, os.ErrNotExist) {
		return point{}, nil
	}
	if err != nil {
		return point{}, fmt.Errorf("inventory: %w", err)
	}
	defer f.Close()
	return readMark(f)
}

// committedPoint is the later of the head's point and the mark's: what
// the log has acknowledged, so far as its files tell.
func committedPoint(h head, m point) point {
	return point{N: max(h.N, m.N), Bytes: max(h.Bytes, m.Bytes)}
}
