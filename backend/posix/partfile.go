package posix

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"envelopegw/backend"
)

// Part files: a part's data and its record in one file.
//
// A part commit used to write a data file and fdatasync it, link it into
// data/ and fsync that directory, then write a separate part record,
// fdatasync it, rename it into the upload directory and fsync that: four
// synchronous disk waits per part, of which only the directory fsyncs are
// shared with concurrent commits (groupcommit.go). A part is now written
// in the layout of an inline head (inline.go): header, data at offset
// 4096, then the part record, whose one extent names the file itself at
// offset 4096. One fdatasync makes data and record durable; the file is
// linked into data/<xx>/<id> (the extent CompleteUpload hands to the
// head) and that directory fsynced; then the temp name is renamed over
// uploads/<id>/p<n> under the key lock, and the upload directory fsynced.
// Three waits, the two directory fsyncs shared.
//
// The data/ link must be durable before the rename: the part record names
// data/<xx>/<id>, and a record that reached the disk without it would name
// a missing file. The rename is the commit point, as before. In flight the
// file has two links (temp name and data/), published it has two (data/
// and the part record), so Sweep tells an orphan by its single link as for
// any data file; a crash between the link and the rename leaves the temp
// name (swept with its dead writer) and an unreferenced data file.
// CompleteUpload keeps the part files as the object's extents, record
// tail included (readers read an extent's Size bytes from its Off), and
// removes the part names with the retired upload directory.
//
// Part records of the old layout (a record file naming a separate data
// file) stay readable, so uploads begun before an upgrade complete.

// partDest says which part number of which upload a writer commits.
type partDest struct {
	key, uploadID string
	number        int
	// publish renames the sealed file at src into place as r (publishPart;
	// crash tests stop here). published says whether it did: from then on
	// the data file may belong to a completed object.
	publish func(src string, r *record) (published bool, err error)
}

// commitPart seals the part file, links it into data/ and publishes it as
// the part record.
func (w *writer) commitPart(meta backend.Meta) (backend.ObjectInfo, error) {
	b, bucket, p := w.b, w.bucket, w.part
	e := extent{ID: w.id, Size: w.n, Off: inlineDataOff}
	r := &record{Kind: kindPart, Key: p.key, Time: time.Now(), Extents: []extent{e}, Meta: meta.Clone()}
	if err := w.seal(r, false); err != nil {
		w.Abort()
		return backend.ObjectInfo{}, b.notFound(bucket, err, nil, "%s: write part", w.where)
	}
	if err := w.release(); err != nil {
		w.Abort()
		return backend.ObjectInfo{}, fmt.Errorf("%s: %w", w.where, err)
	}
	w.done = true
	data := b.dataPath(bucket, w.id)
	// Linked, not renamed: the temp name (which carries this writer's ID)
	// keeps the file in flight for Sweep until the record is published.
	touched, err := b.placeInto(b.dataDir(bucket), w.tmp, data, b.fs.Link)
	if err != nil {
		b.fs.Remove(w.tmp)
		return backend.ObjectInfo{}, b.notFound(bucket, err, nil, "%s: publish data file", w.where)
	}
	for _, d := range append(touched, filepath.Dir(data)) {
		if err := b.syncDir(d); err != nil {
			b.fs.Remove(data)
			b.fs.Remove(w.tmp)
			// A DeleteBucket in between removed the directory: NoSuchBucket.
			return backend.ObjectInfo{}, b.notFound(bucket, err, nil, "%s: fsync %s", w.where, d)
		}
	}
	published, err := p.publish(w.tmp, r)
	if err != nil && !published {
		b.fs.Remove(data)
	}
	b.fs.Remove(w.tmp) // a no-op once renamed
	if !published {
		return backend.ObjectInfo{}, err
	}
	return backend.ObjectInfo{Key: p.key, Size: e.Size, ModTime: r.Time, Meta: r.Meta, Version: e.ID}, err
}

// publishPart renames the sealed part file src over the part record of
// p's number, replacing the previous version, whose data file is then
// removed. published reports whether the rename happened: from then on the
// data file may belong to a completed object (a concurrent CompleteUpload
// takes the record as it finds it), so the caller must never remove it,
// whatever the error.
func (b *Backend) publishPart(bucket string, p *partDest, src string, r *record, where string) (published bool, err error) {
	release, err := b.lockKey(bucket, p.key)
	if err != nil {
		return false, err
	}
	if _, err := b.uploadRecord(bucket, p.key, p.uploadID); err != nil {
		release()
		return false, err
	}
	dst := filepath.Join(b.uploadDir(bucket, p.uploadID), partName(p.number))
	old, err := readRecord(dst, kindPart)
	if err != nil && !notExist(err) {
		release()
		return false, fmt.Errorf("%s: %w", where, err)
	}
	var keep map[string]bool
	if old != nil {
		keep = b.headExtents(bucket, p.key)
	}
	err = b.fs.Rename(src, dst)
	release()
	if err != nil {
		return false, fmt.Errorf("%s: publish part record: %w", where, err)
	}
	hook("part-published")
	// A concurrent CompleteUpload or AbortUpload may have retired the
	// upload directory since the lock was released; it then owns this
	// record and its data file, and syncDirUp does not fail.
	if err := b.syncDirUp(b.uploadsDir(bucket), filepath.Dir(dst)); err != nil {
		// The whole bucket went (DeleteBucket takes uploads with it).
		return true, b.notFound(bucket, err, nil, "%s: fsync", where)
	}
	if old != nil {
		b.removeData(bucket, old.Extents, keep)
	}
	return true, nil
}

// isInlineHead reports whether the file at path positively holds an
// inline head record: only then may Sweep take its second link for a
// head's (see orphanCandidates). A part file (same layout, a part record)
// and a file that cannot be read or decoded, for whatever reason, are not
// heads, so Sweep keeps them: being unable to look is never a reason to
// delete.
func isInlineHead(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := readRecordFile(f, path, kindHead)
	return err == nil && r.inline
}
