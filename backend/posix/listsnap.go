package posix

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"envelopegw/backend"

	"golang.org/x/sys/unix"
)

// Listing snapshots.
//
// The directory cache and the head cache (dircache.go, headcache.go) make
// a page cheap once a directory and its heads are in memory; a cold page
// still costs a readdir and sort of the directory and one open and read
// per key, some 80 µs of kernel CPU each. A listing snapshot is the
// persisted form of what those caches hold for one directory: its sorted
// entries and, for each head, the fields a listing returns from it (key,
// size, time, version token, metadata), written for one stamp of the
// directory (dirStamp) and trusted only while the directory still has that
// stamp. It is a cache, never a source of truth: a snapshot that is
// missing, torn, of another directory or format, or written for another
// stamp is ignored and the listing reads the directory and the heads as
// without it.
//
// Why a stamp proves a snapshot current: every entry of a directory
// changes by a rename or an unlink in it (a head is never rewritten in
// place, see headcache.go), which moves the directory's mtime and ctime;
// and a snapshot is only written for a stamp whose ctime was older than
// racyWindow and that was unchanged after every head was read
// (listsnap_build.go), so a change in the same timestamp tick cannot hide
// behind it.
//
// A snapshot lives outside the tree it describes (writing inside would
// move the very stamp), at buckets/<bucket>/listing/<hash>, the hash being
// SHA-256 of the directory's path relative to the bucket's objects/; the
// path itself is recorded inside and compared on read. No key names a
// file there. The file:
//
//	head blocks   entries [k*B, (k+1)*B) of the directory: per entry a byte
//	              (0: no head, a directory entry; 1: a head) and for a head
//	              uvarint-prefixed key, varint size and time (ns),
//	              uvarint-prefixed version, uvarint count of metadata pairs
//	              and each pair; then CRC-32C of the file's nonce and the
//	              block
//	footer        magic, format version, nonce (8 random bytes), the stamp,
//	              the relative path, entry count, B, each block's offset
//	              and length, then every entry (tag, uvarint-prefixed
//	              fragment); CRC-32C of all of it
//	tail          footer offset (8 bytes), footer length (4), snapTailMagic
//
// A listing reads the tail and footer (the names: a few MiB for 125,000
// entries, read whole), and only the head blocks its page needs, each
// checked by its CRC, which covers the nonce, so a block read from a file
// replaced meanwhile by another snapshot fails its check rather than
// mixing two. A head taken from a snapshot is what reading the head would
// give for that stamp; a damaged head never gets into one (its directory
// gets no snapshot).

const (
	snapMagic     = "EGWLSNP\n"
	snapTailMagic = "ELS1"
	snapVersion   = 1
	snapTailSize  = 8 + 4 + len(snapTailMagic)
	// snapBlockEntries is B: a 1,000-key page reads some 16 blocks.
	snapBlockEntries = 64
	// maxSnapFooter bounds what a reader allocates for a footer: the
	// names of a directory of some 8 million short keys.
	maxSnapFooter = 256 << 20
	// maxSnapBlock bounds one head block (64 heads of at most maxRecord).
	maxSnapBlock = snapBlockEntries * (maxRecord + 64)
)

func (b *Backend) listingDir(bucket string) string {
	return filepath.Join(b.bucketDir(bucket), "listing")
}

// snapPath returns where the snapshot of directory rel (relative to the
// bucket's objects/) lives.
func (b *Backend) snapPath(bucket, rel string) string {
	h := sha256.Sum256([]byte(rel))
	return filepath.Join(b.listingDir(bucket), hex.EncodeToString(h[:16]))
}

// relOfDir returns path relative to the bucket's objects/ directory.
func (b *Backend) relOfDir(bucket, path string) (string, bool) {
	base := b.objectsDir(bucket)
	if path == base {
		return ".", true
	}
	if len(path) > len(base) && path[:len(base)] == base && path[len(base)] == '/' {
		return path[len(base)+1:], true
	}
	return "", false
}

// snapshot is a valid snapshot's footer: the directory's entries and where
// its head blocks are.
type snapshot struct {
	file   string // the snapshot file, reopened per block read
	nonce  [8]byte
	per    int // entries per block
	blocks []snapBlock
}

type snapBlock struct {
	off int64
	n   int
}

// errSnapshot marks a snapshot that cannot be used; it is never reported.
var errSnapshot = errors.New("listing snapshot unusable")

func snapErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errSnapshot}, args...)...)
}

// openSnapshot reads the snapshot of directory path (of bucket) and
// returns it with the directory's sorted entries if it was written for
// this path, format and stamp and its footer is intact; else an error.
func (b *Backend) openSnapshot(bucket, path string, st dirStamp) (*snapshot, []dirEnt, error) {
	rel, ok := b.relOfDir(bucket, path)
	if !ok {
		return nil, nil, snapErr("%s is not below objects/", path)
	}
	file := b.snapPath(bucket, rel)
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOATIME, 0)
	if err == unix.EPERM {
		fd, err = unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(fd)
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		return nil, nil, err
	}
	if fst.Size < int64(snapTailSize) {
		return nil, nil, snapErr("%s: short", file)
	}
	tail := make([]byte, snapTailSize)
	if err := preadFull(fd, tail, fst.Size-int64(snapTailSize)); err != nil {
		return nil, nil, err
	}
	off := int64(binary.BigEndian.Uint64(tail))
	n := int64(binary.BigEndian.Uint32(tail[8:]))
	if string(tail[12:]) != snapTailMagic || n < 4 || n > maxSnapFooter || off < 0 || off+n != fst.Size-int64(snapTailSize) {
		return nil, nil, snapErr("%s: bad tail", file)
	}
	foot := make([]byte, n)
	if err := preadFull(fd, foot, off); err != nil {
		return nil, nil, err
	}
	if crc32.Checksum(foot[:n-4], castagnoli) != binary.BigEndian.Uint32(foot[n-4:]) {
		return nil, nil, snapErr("%s: footer checksum", file)
	}
	s, ents, err := parseSnapFooter(foot[:n-4], rel, st, off)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	s.file = file
	return s, ents, nil
}

func preadFull(fd int, p []byte, off int64) error {
	for len(p) > 0 {
		n, err := unix.Pread(fd, p, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return io.ErrUnexpectedEOF
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// parseSnapFooter checks a footer (without its CRC) against the path and
// stamp expected and decodes it; blocks must end by end.
func parseSnapFooter(foot []byte, rel string, st dirStamp, end int64) (*snapshot, []dirEnt, error) {
	d := snapDec{b: foot}
	if string(d.bytes(len(snapMagic))) != snapMagic || d.uvarint() != snapVersion {
		return nil, nil, snapErr("not format %d", snapVersion)
	}
	s := &snapshot{}
	copy(s.nonce[:], d.bytes(8))
	got := dirStamp{ino: d.varint(), size: d.varint(), mtime: d.varint(), ctime: d.varint()}
	if d.str() != rel {
		return nil, nil, snapErr("written for another directory")
	}
	if got != st {
		return nil, nil, snapErr("written for another stamp of the directory")
	}
	count, per, nblocks := d.uvarint(), d.uvarint(), d.uvarint()
	if d.err != nil || per == 0 || count > uint64(len(foot)) || nblocks != (count+per-1)/per {
		return nil, nil, snapErr("bad counts")
	}
	s.per = int(per)
	s.blocks = make([]snapBlock, nblocks)
	for i := range s.blocks {
		off, n := d.uvarint(), d.uvarint()
		if off > uint64(end) || n > uint64(end)-off || n < 4 || n > maxSnapBlock {
			return nil, nil, snapErr("bad block %d", i)
		}
		s.blocks[i] = snapBlock{off: int64(off), n: int(n)}
	}
	if d.err != nil {
		return nil, nil, snapErr("bad footer")
	}
	ents, err := parseSnapNames(string(d.b), int(count))
	if err != nil {
		return nil, nil, err
	}
	if !slices.IsSortedFunc(ents, cmpEnt) {
		return nil, nil, snapErr("entries out of order")
	}
	return s, ents, nil
}

// parseSnapNames decodes the footer's entries from names, one string
// whose substrings they become (one allocation, not one per entry).
func parseSnapNames(names string, count int) ([]dirEnt, error) {
	ents := make([]dirEnt, count)
	for i := range ents {
		if len(names) < 2 {
			return nil, snapErr("bad entry %d", i)
		}
		tag := names[0]
		n, w := binary.Uvarint([]byte(names[1:min(len(names), 1+binary.MaxVarintLen64)]))
		if w <= 0 || n > uint64(len(names)-1-w) {
			return nil, snapErr("bad entry %d", i)
		}
		frag := names[1+w : 1+w+int(n)]
		names = names[1+w+int(n):]
		ents[i] = dirEnt{frag: frag, tag: tag}
		switch {
		case tag == tagObject || tag == tagContinue:
		case tag == tagDir && len(frag) > 0 && frag[len(frag)-1] == '/':
		default:
			return nil, snapErr("bad entry %d", i)
		}
	}
	if names != "" {
		return nil, snapErr("bad footer")
	}
	return ents, nil
}

// headsOfBlock reads block k, which holds entries [k*per, ...), and
// returns its heads by entry (nil for directory entries).
func (s *snapshot) headsOfBlock(k int) ([]*record, error) {
	bl := s.blocks[k]
	fd, err := unix.Open(s.file, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOATIME, 0)
	if err == unix.EPERM {
		fd, err = unix.Open(s.file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, err
	}
	buf := make([]byte, bl.n)
	err = preadFull(fd, buf, bl.off)
	unix.Close(fd)
	if err != nil {
		return nil, err
	}
	body := buf[:bl.n-4]
	c := crc32.Update(crc32.Checksum(s.nonce[:], castagnoli), castagnoli, body)
	if c != binary.BigEndian.Uint32(buf[bl.n-4:]) {
		return nil, snapErr("%s: block %d checksum", s.file, k)
	}
	d := snapDec{b: body}
	n := int(d.uvarint())
	if n > s.per {
		return nil, snapErr("%s: block %d count", s.file, k)
	}
	heads := make([]*record, n)
	for i := range heads {
		switch d.byte() {
		case 0:
		case 1:
			heads[i] = d.head()
		default:
			return nil, snapErr("%s: block %d entry %d", s.file, k, i)
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, snapErr("%s: block %d does not decode", s.file, k)
	}
	return heads, nil
}

// A head from a snapshot is a listing-only record: it has the fields
// infoOf uses, with the object's size as Inline and no extents, and is
// never used to read or change the object.
func (d *snapDec) head() *record {
	r := &record{Kind: kindHead}
	r.Key = d.str()
	r.Inline = d.varint()
	r.Time = time.Unix(0, d.varint())
	r.Version = d.str()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return r
	}
	r.Meta = make(backend.Meta, n)
	for range n {
		k := d.str()
		r.Meta[k] = d.str()
	}
	return r
}

func appendSnapHead(p []byte, r *record) []byte {
	p = append(p, 1)
	p = appendStr(p, r.Key)
	p = binary.AppendVarint(p, r.size())
	p = binary.AppendVarint(p, r.Time.UnixNano())
	p = appendStr(p, r.Version)
	p = binary.AppendUvarint(p, uint64(len(r.Meta)))
	for _, k := range slices.Sorted(maps.Keys(r.Meta)) {
		p = appendStr(p, k)
		p = appendStr(p, r.Meta[k])
	}
	return p
}

func appendStr(p []byte, s string) []byte {
	p = binary.AppendUvarint(p, uint64(len(s)))
	return append(p, s...)
}

// snapDec decodes the snapshot's fields; the first error sticks.
type snapDec struct {
	b   []byte
	err error
}

func (d *snapDec) fail() {
	if d.err == nil {
		d.err = snapErr("truncated")
	}
	d.b = nil
}

func (d *snapDec) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *snapDec) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *snapDec) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *snapDec) bytes(n int) []byte {
	if len(d.b) < n {
		d.fail()
		return make([]byte, n)
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *snapDec) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	return string(d.bytes(int(n)))
}

// snapWriter streams a snapshot: head blocks as they fill, then the
// footer.
type snapWriter struct {
	f      io.Writer
	nonce  [8]byte
	off    int64
	blocks []snapBlock
	buf    []byte
	n      int // heads in buf
}

func newSnapWriter(f io.Writer) *snapWriter {
	w := &snapWriter{f: f}
	rand.Read(w.nonce[:])
	return w
}

// add appends the next entry's head (nil for a directory entry).
func (w *snapWriter) add(r *record) error {
	if w.n == 0 {
		w.buf = w.buf[:0]
	}
	if r == nil {
		w.buf = append(w.buf, 0)
	} else {
		w.buf = appendSnapHead(w.buf, r)
	}
	w.n++
	if w.n == snapBlockEntries {
		return w.flush()
	}
	return nil
}

func (w *snapWriter) flush() error {
	if w.n == 0 {
		return nil
	}
	blk := binary.AppendUvarint(make([]byte, 0, len(w.buf)+16), uint64(w.n))
	blk = append(blk, w.buf...)
	c := crc32.Update(crc32.Checksum(w.nonce[:], castagnoli), castagnoli, blk)
	blk = binary.BigEndian.AppendUint32(blk, c)
	if _, err := w.f.Write(blk); err != nil {
		return err
	}
	w.blocks = append(w.blocks, snapBlock{off: w.off, n: len(blk)})
	w.off += int64(len(blk))
	w.n = 0
	return nil
}

// finish writes the footer and the tail.
func (w *snapWriter) finish(rel string, st dirStamp, ents []dirEnt) error {
	if err := w.flush(); err != nil {
		return err
	}
	p := append([]byte(snapMagic), byte(snapVersion))
	p = append(p, w.nonce[:]...)
	for _, v := range []int64{st.ino, st.size, st.mtime, st.ctime} {
		p = binary.AppendVarint(p, v)
	}
	p = appendStr(p, rel)
	p = binary.AppendUvarint(p, uint64(len(ents)))
	p = binary.AppendUvarint(p, snapBlockEntries)
	p = binary.AppendUvarint(p, uint64(len(w.blocks)))
	for _, bl := range w.blocks {
		p = binary.AppendUvarint(p, uint64(bl.off))
		p = binary.AppendUvarint(p, uint64(bl.n))
	}
	for _, e := range ents {
		p = append(p, e.tag)
		p = appendStr(p, e.frag)
	}
	p = binary.BigEndian.AppendUint32(p, crc32.Checksum(p, castagnoli))
	p = binary.BigEndian.AppendUint64(p, uint64(w.off))
	p = binary.BigEndian.AppendUint32(p, uint32(len(p)-8))
	p = append(p, snapTailMagic...)
	_, err := w.f.Write(p)
	return err
}
