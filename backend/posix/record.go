package posix

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"sort"
	"time"

	"envelopegw/backend"
)

// Record kinds. One codec serves the three small files the backend keeps:
// object heads, part records and upload records.
const (
	kindHead   = 'h'
	kindPart   = 'p'
	kindUpload = 'u'
)

// recordMagic starts a record whose extents are whole data files;
// recordMagic2 one that may also carry extent offsets and inline data
// (see inline.go). Records that need neither are still written as egw1,
// so part and upload records and multipart heads keep their old bytes.
const (
	recordMagic  = "egw1"
	recordMagic2 = "egw2"
)

// maxMeta is the contract's metadata limit: keys plus values.
const maxMeta = 1 << 20

// maxRecord bounds what readRecord will read: the metadata limit plus
// 10,000 extents plus a key, with room to spare. It keeps a corrupt or
// hostile file from making a reader allocate without bound.
const maxRecord = maxMeta + 10000*64 + 64<<10

// extent is one data file of an object: its random id and its size, and
// where in the file the object's bytes start (0, except for a file that
// began as an inline head; see inline.go).
type extent struct {
	ID   string
	Size int64
	Off  int64
}

// record is the decoded form of a head, part or upload file.
//
// Binary layout (all integers unsigned varints unless noted):
//
//	"egw1" kind(1 byte) len(key) key time(8 bytes, big-endian unix ns)
//	n(extents) { len(id) id size }... n(meta) { len(k) k len(v) v }...
//	crc32c(4 bytes, big-endian, of everything before it)
//
// "egw2" records are the same with { len(id) id size off } extents and,
// after them, the size of the inline data (the bytes held in the head file
// itself before the record, see inline.go).
//
// The format is binary rather than JSON because metadata values are
// arbitrary strings, which JSON cannot carry without loss when they are
// not valid UTF-8. Meta entries are sorted so equal records encode equally.
type record struct {
	Kind    byte
	Key     string
	Time    time.Time
	Extents []extent
	// Inline is the size of the object's bytes held in the head file
	// itself (inline.go); 0 for heads with extents and for other records.
	Inline int64
	inline bool // read from a head file in the inline layout (not encoded)
	Meta   backend.Meta
	// Version is not stored: it is derived from the encoded record (see
	// versionOf), so a head's version changes with every publish.
	Version string
}

// versionOf names one encoded record by its Time and the CRC-32C that
// ends it, both already at hand, so reading a head costs no hashing.
// publishHead gives every head of a key a strictly later Time than the
// one it replaces, so two versions of a key differ in Time (short of a
// clock set back across a delete and re-create, where the CRC over the
// random extent ids and the metadata still tells them apart). Callers
// treat the token as opaque.
func versionOf(encoded []byte, t time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixNano()))
	copy(b[8:], encoded[len(encoded)-4:])
	return hex.EncodeToString(b[:])
}

func (r *record) size() int64 {
	n := r.Inline
	for _, e := range r.Extents {
		n += e.Size
	}
	return n
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func metaSize(m backend.Meta) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

func checkMeta(m backend.Meta, where string) error {
	if n := metaSize(m); n > maxMeta {
		return fmt.Errorf("%s: %d bytes of metadata exceed %d: %w", where, n, maxMeta, backend.ErrMetadataTooLarge)
	}
	return nil
}

func (r *record) marshal() []byte {
	n := len(recordMagic) + 1 + 10 + len(r.Key) + 8 + 10 + 10 + 4
	for _, e := range r.Extents {
		n += 20 + len(e.ID)
	}
	n += metaSize(r.Meta) + 20*len(r.Meta)
	v2 := r.Inline != 0
	for _, e := range r.Extents {
		v2 = v2 || e.Off != 0
	}
	b := make([]byte, 0, n)
	if v2 {
		b = append(b, recordMagic2...)
	} else {
		b = append(b, recordMagic...)
	}
	b = append(b, r.Kind)
	b = appendString(b, r.Key)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(r.Extents)))
	for _, e := range r.Extents {
		b = appendString(b, e.ID)
		b = binary.AppendUvarint(b, uint64(e.Size))
		if v2 {
			b = binary.AppendUvarint(b, uint64(e.Off))
		}
	}
	if v2 {
		b = binary.AppendUvarint(b, uint64(r.Inline))
	}
	keys := make([]string, 0, len(r.Meta))
	for k := range r.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, r.Meta[k])
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("corrupt record")

// damaged reports an error from readRecord that means the file is there
// but does not hold a valid record (truncated, zero-length, bit rot),
// as opposed to a missing file or an I/O error.
func damaged(err error) bool { return errors.Is(err, errCorrupt) }

func unmarshalRecord(b []byte) (*record, error) {
	if len(b) < len(recordMagic)+1+4 {
		return nil, errCorrupt
	}
	v2 := string(b[:len(recordMagic2)]) == recordMagic2
	if !v2 && string(b[:len(recordMagic)]) != recordMagic {
		return nil, errCorrupt
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, errCorrupt
	}
	d := decoder{b: body[len(recordMagic):]}
	r := &record{Kind: d.byte()}
	r.Key = d.string()
	r.Time = time.Unix(0, int64(d.uint64()))
	r.Version = versionOf(b, r.Time)
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	if n > 0 {
		r.Extents = make([]extent, 0, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		e := extent{ID: d.string(), Size: int64(d.uvarint())}
		if v2 {
			e.Off = int64(d.uvarint())
		}
		if !validID(e.ID) || e.Size < 0 || e.Off < 0 {
			return nil, errCorrupt
		}
		r.Extents = append(r.Extents, e)
	}
	if v2 {
		r.Inline = int64(d.uvarint())
		if r.Inline < 0 {
			return nil, errCorrupt
		}
	}
	n = d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	r.Meta = make(backend.Meta, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		k := d.string()
		r.Meta[k] = d.string()
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return r, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) < 1 {
		d.err = errCorrupt
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uint64() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.err = errCorrupt
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// readRecord reads and decodes the record at path, in either head layout
// (see inline.go). A missing file is reported as an error satisfying
// errors.Is(err, fs.ErrNotExist).
func readRecord(path string, kind byte) (*record, error) {
	f, err := openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readRecordFile(f, path, kind)
}
