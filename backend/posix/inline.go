package posix

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"envelopegw/backend"

	"golang.org/x/sys/unix"
)

// Inline heads: a single PUT in one file and one rename.
//
// A PUT used to write a data file, fsync it, link it into data/, fsync
// that directory, write a head naming it, fsync the head and rename it
// into place, fsync the head's directory: four synchronous disk waits,
// and the wait is what bounds the throughput of a few concurrent PUTs.
// A PUT now writes one file in tmp/ holding the object's bytes and its
// head record,
//
//	"egwi" len(data)(8 bytes, big-endian) crc32c(of the 12 bytes before)
//	zeros up to offset 4096
//	data (len(data) bytes)
//	record (an egw1 or egw2 head record, with its own CRC-32C; its Inline = len(data))
//
// fdatasyncs it (the file's size, which fdatasync flushes, is the only
// metadata that matters) and renames it over objects/<key>; the rename is
// the commit point as before, and one directory fsync, shared with the
// concurrent commits in that directory (groupcommit.go), makes it durable.
// Two disk waits, none of them under the key lock.
//
// The record goes after the data because the metadata is known only at
// Commit; the fixed header says where it starts, so a reader needs no
// fstat: it reads 16 bytes, then the record at 4096+len(data). Old heads
// (a record alone, starting "egw1") stay readable, and multipart heads are
// still written that way: their parts are data files already, and
// CompleteUpload must not copy them.
//
// SetMeta rewrites the head only, so it cannot rewrite an inline file
// without copying the object. It converts the object to extent form
// instead: it hard-links the inline file into data/ and publishes an
// egw2 head whose one extent names that file at offset 4096. No byte is
// copied, the data keeps its inode, and readers that have the old head
// open keep reading it. The new link goes through a temp name first, as
// a PUT's data file does, so Sweep sees it in flight (see sweep.go for
// the leftovers of a crash in between). The old record stays after the
// data until Sweep zeroes it (inline_scrub.go).

// The header is 16 bytes; the data starts at the next page boundary.
// Writes at an offset that is not a multiple of the page size cost the
// kernel about 70 % more CPU per byte copied into the page cache
// (measured: 0.42 against 0.72 CPU-s/GiB in 1 MiB writes); the padding
// costs one block per object.
const (
	inlineMagic      = "egwi"
	inlineHeaderSize = 16
	inlineDataOff    = 4096
)

func inlineHeader(n int64) []byte {
	b := make([]byte, 0, inlineHeaderSize)
	b = append(b, inlineMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(n))
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// parseInlineHeader returns the data length of an inline head file's
// header, ok=false when hdr is not one (an old-layout record), and
// errCorrupt when it claims to be one and does not check.
func parseInlineHeader(hdr []byte) (n int64, ok bool, err error) {
	if len(hdr) < len(inlineMagic) || string(hdr[:len(inlineMagic)]) != inlineMagic {
		return 0, false, nil
	}
	if len(hdr) < inlineHeaderSize ||
		crc32.Checksum(hdr[:12], castagnoli) != binary.BigEndian.Uint32(hdr[12:16]) {
		return 0, true, errCorrupt
	}
	n = int64(binary.BigEndian.Uint64(hdr[4:12]))
	if n < 0 {
		return 0, true, errCorrupt
	}
	return n, true, nil
}

// readRecordFile decodes the record in f, in either layout.
func readRecordFile(f *os.File, path string, kind byte) (*record, error) {
	hdr := make([]byte, inlineHeaderSize)
	m, err := io.ReadFull(f, hdr)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	hdr = hdr[:m]
	n, inline, err := parseInlineHeader(hdr)
	if err != nil {
		return nil, fmt.Errorf("%s: inline header: %w", path, err)
	}
	var b []byte
	if inline {
		b, err = readRecordAt(f, inlineDataOff+n)
	} else {
		b, err = io.ReadAll(io.LimitReader(f, maxRecord+1-int64(m)))
		b = append(hdr, b...)
	}
	if err != nil {
		return nil, err
	}
	return decodeHeadBytes(b, path, kind, inline, n)
}

// recordReadSize is the first read of a record: a format v2 head with
// its hybrid signature, wrapped keys and sealed attributes is 7-12 KB, so
// one read gets it where io.ReadAll, starting at 512 bytes and growing,
// took nine.
const recordReadSize = 16 << 10

// readRecordAt reads f from off to its end (at most maxRecord+1 bytes).
func readRecordAt(f *os.File, off int64) ([]byte, error) {
	b := make([]byte, 0, recordReadSize)
	for len(b) <= maxRecord {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := f.ReadAt(b[len(b):cap(b)], off+int64(len(b)))
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// decodeHeadBytes decodes an encoded record; for the inline layout it
// checks that the record's size is the header's.
func decodeHeadBytes(b []byte, path string, kind byte, inline bool, n int64) (*record, error) {
	if len(b) > maxRecord {
		return nil, fmt.Errorf("%s: record larger than %d bytes: %w", path, maxRecord, errCorrupt)
	}
	r, err := unmarshalRecord(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Kind != kind {
		return nil, fmt.Errorf("%s: record kind %q, want %q: %w", path, r.Kind, kind, errCorrupt)
	}
	if inline && !inlineMatches(r, n) {
		return nil, fmt.Errorf("%s: inline record does not match its header: %w", path, errCorrupt)
	}
	if !inline && r.Inline != 0 {
		return nil, fmt.Errorf("%s: inline size in a record without inline data: %w", path, errCorrupt)
	}
	r.inline = inline
	return r, nil
}

// inlineMatches reports whether the record of an inline file describes
// the n bytes before it: a head holds them inline, a part record (a part
// file, partfile.go) names the file itself as its one extent.
func inlineMatches(r *record, n int64) bool {
	if r.Kind == kindPart {
		return r.Inline == 0 && len(r.Extents) == 1 && r.Extents[0].Size == n && r.Extents[0].Off == inlineDataOff
	}
	return r.Inline == n && len(r.Extents) == 0
}

// isInlineFile reports whether the file at path starts with an inline
// header: a data file that began as an inline head (SetMeta's
// conversion), which Sweep must recognise by its content.
func isInlineFile(path string) bool {
	_, _, ok := InlineBody(path)
	return ok
}

// seal writes r after the data and the header before it, and fdatasyncs
// the file. A second seal (the commit time had to move) rewrites the
// record in place.
func (w *writer) seal(r *record, again bool) error {
	enc := r.marshal()
	r.Version = versionOf(enc, r.Time)
	end := inlineDataOff + w.n
	if again {
		if err := w.f.Truncate(end); err != nil {
			return err
		}
		if _, err := w.f.WriteAt(enc, end); err != nil {
			return err
		}
	} else {
		if _, err := w.bw.Write(enc); err != nil {
			return err
		}
		if err := w.bw.Flush(); err != nil {
			return err
		}
	}
	if _, err := w.f.WriteAt(inlineHeader(w.n), 0); err != nil {
		return err
	}
	return w.b.syncFile(w.f)
}

// commitInline seals the temp file and renames it over the key's head,
// checking the writer's conditions under the key lock. Only the rare
// commit whose time must move past the replaced head's (a clock set back)
// writes and syncs again under the lock.
func (w *writer) commitInline(meta backend.Meta) (backend.ObjectInfo, error) {
	b, bucket, key := w.b, w.bucket, w.key
	r := &record{Kind: kindHead, Key: key, Time: time.Now(), Inline: w.n, Meta: meta.Clone()}
	if err := w.seal(r, false); err != nil {
		w.Abort()
		return backend.ObjectInfo{}, b.notFound(bucket, err, nil, "%s: write head", w.where)
	}
	head := b.headPath(bucket, key)
	release, err := b.lockKey(bucket, key)
	if err != nil {
		w.Abort()
		return backend.ObjectInfo{}, err
	}
	old, err := b.oldHead(w.ctx, bucket, key, head)
	if err == nil {
		err = checkHead(w.cond, w.where, old)
	}
	if err == nil && old != nil && !r.Time.After(old.Time) {
		r.Time = old.Time.Add(time.Nanosecond)
		if err = w.seal(r, true); err != nil {
			err = fmt.Errorf("%s: write head: %w", w.where, err)
		}
	}
	if err == nil {
		if old != nil {
			b.dropSnapshot(bucket, head) // before and after: listsnap_drop.go
		}
		var touched []string
		touched, err = b.renameInto(b.objectsDir(bucket), w.tmp, head)
		if err == nil {
			if old != nil {
				b.dropSnapshot(bucket, head) // it may hold the old head (listsnap_drop.go)
			}
			release()
			w.done = true
			w.release()
			// Published: a failure from here is reported but undoes nothing.
			return infoOf(r), w.afterPublish(old, append(touched, filepath.Dir(head)))
		}
		err = b.notFound(bucket, err, nil, "%s: publish head", w.where)
	}
	release()
	w.Abort()
	return backend.ObjectInfo{}, err
}

// afterPublish makes a published inline head durable and removes the data
// files of the head it replaced.
func (w *writer) afterPublish(old *record, dirs []string) error {
	hook("head-published")
	for _, d := range dirs {
		if err := w.b.syncDirUp(w.b.objectsDir(w.bucket), d); err != nil {
			return fmt.Errorf("%s: fsync %s: %w", w.where, d, err)
		}
	}
	if old != nil {
		w.b.removeData(w.bucket, old.Extents, nil)
	}
	return nil
}

// oldHead reads the head a commit replaces, under the key lock: nil if
// there is none, or if it is damaged (replaced as if absent; the data
// files it named are unknown and stay for Sweep).
func (b *Backend) oldHead(ctx context.Context, bucket, key, head string) (*record, error) {
	old, err := readRecord(head, kindHead)
	if damaged(err) {
		b.log().WarnContext(ctx, "posix: replacing a damaged head", "bucket", bucket, "key", key, "err", err)
		return nil, nil
	}
	if notExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	return old, nil
}

// extentsOf returns the extents a new head keeping old's data names. An
// inline head is first linked into data/ (through a temp name that marks
// it in flight; the caller removes that name with done) and becomes one
// extent at offset inlineDataOff. Runs under the key lock.
func (b *Backend) extentsOf(bucket, key string, old *record) (exts []extent, done func(published bool), err error) {
	if !old.inline {
		return old.Extents, func(bool) {}, nil
	}
	if old.Inline == 0 {
		return nil, func(bool) {}, nil
	}
	where := bucket + "/" + key
	id := newID()
	tmp := filepath.Join(b.tmpDir(bucket), "data-"+b.writer+"-"+id)
	if err := b.fs.Link(b.headPath(bucket, key), tmp); err != nil {
		return nil, nil, b.notFound(bucket, err, nil, "%s: link inline data", where)
	}
	data := b.dataPath(bucket, id)
	touched, err := b.placeInto(b.dataDir(bucket), tmp, data, b.fs.Link)
	if err == nil {
		for _, d := range append(touched, filepath.Dir(data)) {
			if err = b.syncDir(d); err != nil {
				break
			}
		}
	}
	done = func(published bool) {
		if !published {
			b.fs.Remove(data)
		}
		b.fs.Remove(tmp)
	}
	if err != nil {
		done(false)
		return nil, nil, b.notFound(bucket, err, nil, "%s: publish inline data as a data file", where)
	}
	return []extent{{ID: id, Size: old.Inline, Off: inlineDataOff}}, done, nil
}

// readInlineHeadFD is readHead (listread.go) for an inline head file whose
// header is hdr: it reads only the record, at its offset, and returns its
// size.
func readInlineHeadFD(fd int, hdr []byte, path string) (*record, int, error) {
	n, _, err := parseInlineHeader(hdr)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: inline header: %w", path, err)
	}
	b := make([]byte, 0, recordReadSize)
	off := inlineDataOff + n
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := unix.Pread(fd, b[len(b):cap(b)], off+int64(len(b)))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, 0, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		b = b[:len(b)+m]
		if len(b) > maxRecord {
			break
		}
	}
	r, err := decodeHeadBytes(b, path, kindHead, true, n)
	return r, len(b), err
}

// readHeadFile is readHead that also returns the identity of the head file
// it read, so that a later link of that path can be checked to be the
// same file (a replace reuses the path of an inline head).
func (b *Backend) readHeadFile(bucket, key string) (*record, os.FileInfo, error) {
	head := b.headPath(bucket, key)
	f, err := openFile(head, os.O_RDONLY, 0)
	if err != nil {
		return nil, nil, b.notFound(bucket, err, backend.ErrNoSuchKey, "%s/%s", bucket, key)
	}
	defer f.Close()
	r, err := readRecordFile(f, head, kindHead)
	if err != nil {
		return nil, nil, fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	return r, fi, nil
}

// linkInline is linkExtents (copy.go) for an inline source head: it links
// the head file itself, which must still be the file read (fi), through a
// durable temp name into bucket's data/, as one extent at inlineDataOff.
func (b *Backend) linkInline(srcBucket, srcKey, bucket string, old *record, fi os.FileInfo, where string) (out []extent, tmps []string, err error) {
	if old.Inline == 0 {
		return nil, nil, nil
	}
	id := newID()
	tmp := filepath.Join(b.tmpDir(bucket), "data-"+b.writer+"-"+id)
	if err := b.fs.Link(b.headPath(srcBucket, srcKey), tmp); err != nil {
		if errors.Is(err, syscall.EXDEV) {
			return nil, nil, fmt.Errorf("%s: %w: %w", where, backend.ErrCopyUnsupported, err)
		}
		return nil, nil, b.notFound(bucket, err, backend.ErrSourceChanged, "%s: link inline data", where)
	}
	tmps = []string{tmp}
	if li, err := os.Lstat(tmp); err != nil || !os.SameFile(li, fi) {
		return nil, tmps, fmt.Errorf("%s: the source was replaced: %w", where, backend.ErrSourceChanged)
	}
	if err := b.syncDir(b.tmpDir(bucket)); err != nil {
		return nil, tmps, b.notFound(bucket, err, nil, "%s: fsync temp directory", where)
	}
	data := b.dataPath(bucket, id)
	touched, err := b.placeInto(b.dataDir(bucket), tmp, data, b.fs.Link)
	if err != nil {
		return nil, tmps, b.notFound(bucket, err, nil, "%s: publish data file", where)
	}
	out = []extent{{ID: id, Size: old.Inline, Off: inlineDataOff}}
	for _, d := range append(touched, filepath.Dir(data)) {
		if err := b.syncDir(d); err != nil {
			return out, tmps, b.notFound(bucket, err, nil, "%s: fsync %s", where, d)
		}
	}
	return out, tmps, nil
}

// InlineBody reports where the object bytes lie in the head file at path:
// from offset off, n bytes; ok is false for any other file (a head of the
// old layout, a data file, whose bytes are the whole file). For tools and
// tests that inspect the stored ciphertext.
func InlineBody(path string) (off, n int64, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	hdr := make([]byte, inlineHeaderSize)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return 0, 0, false
	}
	n, ok, err = parseInlineHeader(hdr)
	if !ok || err != nil {
		return 0, 0, false
	}
	return inlineDataOff, n, true
}
