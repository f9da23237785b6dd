package posix

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"envelopegw/backend"
)

const (
	uploadRecordName = "upload"
	maxPartNumber    = 10000
	uploadIDLen      = 16 + 32
)

// newUploadID returns the initiation time (big-endian unix nanoseconds) and
// 128 random bits, in hex. The time prefix makes ordering by upload ID the
// same as ordering by initiation, so ListUploads can resume after a marker
// whose upload no longer exists; the random part makes IDs unguessable.
func newUploadID(t time.Time) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano()))
	return hex.EncodeToString(b[:]) + newID()
}

func validUploadID(s string) bool { return len(s) == uploadIDLen && isLowerHex(s) }

func partName(n int) string { return fmt.Sprintf("p%05d", n) }

func parsePartName(s string) (int, bool) {
	if len(s) != 6 || s[0] != 'p' {
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, false
	}
	return n, true
}

// uploadRecord reads the record of uploadID and checks that it belongs to
// key.
func (b *Backend) uploadRecord(bucket, key, uploadID string) (*record, error) {
	where := fmt.Sprintf("%s/%s upload %q", bucket, key, uploadID)
	if !validUploadID(uploadID) {
		return nil, fmt.Errorf("%s: malformed upload ID: %w", where, backend.ErrNoSuchUpload)
	}
	r, err := readRecord(filepath.Join(b.uploadDir(bucket, uploadID), uploadRecordName), kindUpload)
	if err != nil {
		return nil, b.notFound(bucket, err, backend.ErrNoSuchUpload, "%s", where)
	}
	if r.Key != key {
		return nil, fmt.Errorf("%s: upload is for another key: %w", where, backend.ErrNoSuchUpload)
	}
	return r, nil
}

// CreateUpload builds the upload directory with its record in tmp and
// renames it into uploads/.
func (b *Backend) CreateUpload(ctx context.Context, bucket, key string, meta backend.Meta) (string, error) {
	if err := checkBucketKey(bucket, key); err != nil {
		return "", err
	}
	if err := b.checkWritable(ctx); err != nil {
		return "", err
	}
	where := bucket + "/" + key
	if err := checkMeta(meta, where); err != nil {
		return "", err
	}
	now := time.Now()
	id := newUploadID(now)
	tmp := b.tmpPath(bucket, "upload")
	if err := b.fs.Mkdir(tmp, 0o700); err != nil {
		return "", b.notFound(bucket, err, nil, "%s: create upload", where)
	}
	r := &record{Kind: kindUpload, Key: key, Time: now, Meta: meta.Clone()}
	if err := b.writeFileSync(filepath.Join(tmp, uploadRecordName), r.marshal()); err != nil {
		b.fs.RemoveAll(tmp)
		return "", fmt.Errorf("%s: create upload: %w", where, err)
	}
	if err := b.syncDir(tmp); err != nil {
		b.fs.RemoveAll(tmp)
		return "", fmt.Errorf("%s: create upload: %w", where, err)
	}
	release, err := b.lockKey(bucket, key)
	if err != nil {
		b.fs.RemoveAll(tmp)
		return "", err
	}
	err = b.fs.Rename(tmp, b.uploadDir(bucket, id))
	release()
	if err != nil {
		b.fs.RemoveAll(tmp)
		return "", b.notFound(bucket, err, nil, "%s: create upload", where)
	}
	if err := b.syncDir(b.uploadsDir(bucket)); err != nil {
		return "", fmt.Errorf("%s: create upload: %w", where, err)
	}
	return id, nil
}

// StatUpload returns the upload's key, initiation time and metadata.
func (b *Backend) StatUpload(ctx context.Context, bucket, key, uploadID string) (backend.Upload, error) {
	if err := checkBucketKey(bucket, key); err != nil {
		return backend.Upload{}, err
	}
	r, err := b.uploadRecord(bucket, key, uploadID)
	if err != nil {
		return backend.Upload{}, err
	}
	return backend.Upload{Bucket: bucket, Key: key, UploadID: uploadID, Initiated: r.Time, Meta: r.Meta}, nil
}

// NewPart streams a part into a file of its own that Commit completes with
// the part record and publishes (partfile.go), replacing the previous
// version of the part number, whose data file is then removed.
func (b *Backend) NewPart(ctx context.Context, bucket, key, uploadID string, number int) (backend.Writer, error) {
	if err := checkBucketKey(bucket, key); err != nil {
		return nil, err
	}
	if err := b.checkWritable(ctx); err != nil {
		return nil, err
	}
	where := fmt.Sprintf("%s/%s upload %s part %d", bucket, key, uploadID, number)
	if number < 1 || number > maxPartNumber {
		return nil, fmt.Errorf("%s: part number must be 1 to %d: %w", where, maxPartNumber, backend.ErrInvalidPart)
	}
	if _, err := b.uploadRecord(bucket, key, uploadID); err != nil {
		return nil, err
	}
	w, err := b.newFileWriter(ctx, bucket, where, "data-")
	if err != nil {
		return nil, err
	}
	p := &partDest{key: key, uploadID: uploadID, number: number}
	p.publish = func(src string, r *record) (bool, error) { return b.publishPart(bucket, p, src, r, where) }
	w.key, w.part = key, p
	return w, nil
}

// headExtents returns the data ids of bucket/key's current head. Upload
// cleanup skips them: if a crash struck CompleteUpload after it published
// the head but before it retired the upload, the upload's part records
// still name data files that now belong to the object.
func (b *Backend) headExtents(bucket, key string) map[string]bool {
	h, err := readRecord(b.headPath(bucket, key), kindHead)
	if err != nil {
		return nil
	}
	return extentSet(h.Extents)
}

// readParts reads the current part records in dir, by number. A damaged
// record is passed to skip and left out.
func readParts(dir string, skip func(path string, err error)) (map[int]*record, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	parts := make(map[int]*record)
	for _, n := range names {
		num, ok := parsePartName(n)
		if !ok {
			continue
		}
		p := filepath.Join(dir, n)
		r, err := readRecord(p, kindPart)
		if notExist(err) {
			continue
		}
		if err == nil && len(r.Extents) != 1 {
			err = fmt.Errorf("%s: part record with %d extents: %w", p, len(r.Extents), errCorrupt)
		}
		if damaged(err) {
			skip(p, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		parts[num] = r
	}
	return parts, nil
}

// skipPart is readParts' callback for a damaged part record.
func (b *Backend) skipPart(ctx context.Context) func(path string, err error) {
	return func(path string, err error) { b.skipDamaged(ctx, "read parts", path, err) }
}

// ListParts returns the current version of every committed part, by number.
func (b *Backend) ListParts(ctx context.Context, bucket, key, uploadID string) ([]backend.PartInfo, error) {
	if err := checkBucketKey(bucket, key); err != nil {
		return nil, err
	}
	if _, err := b.uploadRecord(bucket, key, uploadID); err != nil {
		return nil, err
	}
	parts, err := readParts(b.uploadDir(bucket, uploadID), b.skipPart(ctx))
	if err != nil {
		return nil, b.notFound(bucket, err, backend.ErrNoSuchUpload, "%s/%s upload %s", bucket, key, uploadID)
	}
	out := make([]backend.PartInfo, 0, len(parts))
	for num, r := range parts {
		out = append(out, backend.PartInfo{Number: num, ID: r.Extents[0].ID, Size: r.Extents[0].Size, ModTime: r.Time, Meta: r.Meta})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// CompleteUpload publishes a head whose extents are the named parts' data
// files, as they are: no part byte is read, copied or moved. Under the key
// lock it checks the refs against the part records, publishes the head and
// moves the upload directory out of uploads/; afterwards it removes the
// data of parts the refs left out, and the retired directory.
//
// cond is checked under the key lock, after the upload and its parts: a
// complete that fails it leaves the upload in place.
func (b *Backend) CompleteUpload(ctx context.Context, bucket, key, uploadID string, refs []backend.PartRef, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	if err := checkBucketKey(bucket, key); err != nil {
		return backend.ObjectInfo{}, err
	}
	if err := b.checkWritable(ctx); err != nil {
		return backend.ObjectInfo{}, err
	}
	where := fmt.Sprintf("%s/%s upload %s", bucket, key, uploadID)
	if err := checkMeta(meta, where); err != nil {
		return backend.ObjectInfo{}, err
	}
	if len(refs) == 0 {
		return backend.ObjectInfo{}, fmt.Errorf("%s: no parts: %w", where, backend.ErrInvalidPart)
	}
	seen := make(map[int]bool, len(refs))
	for _, ref := range refs {
		if ref.Number < 1 || ref.Number > maxPartNumber || seen[ref.Number] {
			return backend.ObjectInfo{}, fmt.Errorf("%s: part %d: out of range or listed twice: %w", where, ref.Number, backend.ErrInvalidPart)
		}
		seen[ref.Number] = true
	}
	dir := b.uploadDir(bucket, uploadID)
	gone := b.tmpPath(bucket, "done-upload")
	var parts map[int]*record
	r, _, err := b.publishHead(ctx, bucket, key, func(old *record) (*record, error) {
		if _, err := b.uploadRecord(bucket, key, uploadID); err != nil {
			return nil, err
		}
		var err error
		parts, err = readParts(dir, b.skipPart(ctx))
		if err != nil {
			return nil, b.notFound(bucket, err, backend.ErrNoSuchUpload, "%s", where)
		}
		exts := make([]extent, 0, len(refs))
		for _, ref := range refs {
			p := parts[ref.Number]
			if p == nil {
				return nil, fmt.Errorf("%s: part %d was never uploaded: %w", where, ref.Number, backend.ErrInvalidPart)
			}
			if p.Extents[0].ID != ref.ID {
				return nil, fmt.Errorf("%s: part %d: version %q is not the current one: %w", where, ref.Number, ref.ID, backend.ErrInvalidPart)
			}
			// Only a crash between publishing a head and retiring its
			// upload, followed by a replace of the object, can get here.
			if _, err := os.Stat(b.dataPath(bucket, ref.ID)); err != nil {
				return nil, fmt.Errorf("%s: part %d: data file: %v: %w", where, ref.Number, err, backend.ErrInvalidPart)
			}
			exts = append(exts, p.Extents[0])
		}
		if err := checkHead(cond, where, old); err != nil {
			return nil, err
		}
		return &record{Extents: exts, Meta: meta.Clone()}, nil
	}, func() error {
		if err := b.fs.Rename(dir, gone); err != nil {
			return fmt.Errorf("%s: retire upload: %w", where, err)
		}
		return nil
	})
	if err != nil {
		if r == nil {
			return backend.ObjectInfo{}, err
		}
		// The head is published: the object exists whatever failed after.
		return infoOf(r), err
	}
	if err := b.syncDir(b.uploadsDir(bucket)); err != nil {
		return infoOf(r), fmt.Errorf("%s: fsync: %w", where, err)
	}
	used := extentSet(r.Extents)
	for _, p := range parts {
		b.removeData(bucket, p.Extents, used)
	}
	b.fs.RemoveAll(gone)
	return infoOf(r), nil
}

// AbortUpload retires the upload directory under the key lock, then
// removes the parts' data files and the directory.
func (b *Backend) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	if err := checkBucketKey(bucket, key); err != nil {
		return err
	}
	if err := b.checkWritable(ctx); err != nil {
		return err
	}
	where := fmt.Sprintf("%s/%s upload %s", bucket, key, uploadID)
	if !validUploadID(uploadID) {
		return fmt.Errorf("%s: malformed upload ID: %w", where, backend.ErrNoSuchUpload)
	}
	release, err := b.lockKey(bucket, key)
	if err != nil {
		return err
	}
	if _, err := b.uploadRecord(bucket, key, uploadID); err != nil {
		release()
		return err
	}
	gone := b.tmpPath(bucket, "aborted-upload")
	err = b.fs.Rename(b.uploadDir(bucket, uploadID), gone)
	keep := b.headExtents(bucket, key)
	release()
	if err != nil {
		return fmt.Errorf("%s: abort: %w", where, err)
	}
	if err := b.syncDir(b.uploadsDir(bucket)); err != nil {
		return fmt.Errorf("%s: abort: fsync: %w", where, err)
	}
	parts, err := readParts(gone, b.skipPart(ctx))
	if notExist(err) {
		// A concurrent Sweep took the retired directory (its mtime is
		// that of the last part commit); the upload is aborted and the
		// next Sweep finds the part data unreferenced.
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: abort: %w", where, err)
	}
	for _, p := range parts {
		b.removeData(bucket, p.Extents, keep)
	}
	if err := b.fs.RemoveAll(gone); err != nil {
		return fmt.Errorf("%s: abort: %w", where, err)
	}
	return nil
}

// allUploads reads every upload record of the bucket. In-progress uploads
// are few compared to objects, so ListUploads reads them all and sorts.
func (b *Backend) allUploads(ctx context.Context, bucket string) ([]backend.Upload, error) {
	f, err := os.Open(b.uploadsDir(bucket))
	if err != nil {
		return nil, b.notFound(bucket, err, nil, "list uploads of %s", bucket)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("list uploads of %s: %w", bucket, err)
	}
	var out []backend.Upload
	for _, id := range names {
		if !validUploadID(id) {
			continue
		}
		r, err := readRecord(filepath.Join(b.uploadDir(bucket, id), uploadRecordName), kindUpload)
		if notExist(err) {
			continue // completed or aborted meanwhile
		}
		if damaged(err) {
			b.skipDamaged(ctx, "list uploads of "+bucket, filepath.Join(b.uploadDir(bucket, id), uploadRecordName), err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list uploads of %s: %w", bucket, err)
		}
		out = append(out, backend.Upload{Bucket: bucket, Key: r.Key, UploadID: id, Initiated: r.Time, Meta: r.Meta})
	}
	return out, nil
}

// ListUploads pages through in-progress uploads by key, then initiation
// (the upload ID starts with it), then upload ID.
func (b *Backend) ListUploads(ctx context.Context, bucket string, opts backend.UploadListOptions) (backend.UploadPage, error) {
	if err := checkBucket(bucket); err != nil {
		return backend.UploadPage{}, err
	}
	all, err := b.allUploads(ctx, bucket)
	if err != nil {
		return backend.UploadPage{}, err
	}
	if opts.KeyMarker != "" && opts.UploadIDMarker != "" && !validUploadID(opts.UploadIDMarker) {
		return backend.UploadPage{}, fmt.Errorf("list uploads of %s: %q: %w", bucket, opts.UploadIDMarker, backend.ErrInvalidUploadIDMarker)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Key != all[j].Key {
			return all[i].Key < all[j].Key
		}
		return all[i].UploadID < all[j].UploadID
	})
	max := opts.MaxUploads
	if max <= 0 {
		max = 1000
	}
	var page backend.UploadPage
	count := 0
	lastCP := ""
	for _, u := range all {
		if !strings.HasPrefix(u.Key, opts.Prefix) {
			continue
		}
		if u.Key < opts.KeyMarker || u.Key == opts.KeyMarker && (opts.UploadIDMarker == "" || u.UploadID <= opts.UploadIDMarker) {
			continue
		}
		cp := ""
		if opts.Delimiter != "" {
			if i := strings.Index(u.Key[len(opts.Prefix):], opts.Delimiter); i >= 0 {
				cp = u.Key[:len(opts.Prefix)+i+len(opts.Delimiter)]
			}
		}
		if cp != "" && (cp == lastCP || cp <= opts.KeyMarker) {
			continue
		}
		if count == max {
			page.IsTruncated = true
			break
		}
		count++
		if cp != "" {
			lastCP = cp
			page.CommonPrefixes = append(page.CommonPrefixes, cp)
			page.NextKeyMarker, page.NextUploadIDMarker = cp, ""
			continue
		}
		page.Uploads = append(page.Uploads, u)
		page.NextKeyMarker, page.NextUploadIDMarker = u.Key, u.UploadID
	}
	if !page.IsTruncated {
		page.NextKeyMarker, page.NextUploadIDMarker = "", ""
	}
	return page, nil
}
