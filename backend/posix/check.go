package posix

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// Damaged is one record that exists but does not decode: truncated or
// zero-length after a power loss under NoFsync, or changed by a media
// error. It costs only its own key: listings and Sweep skip it (and log
// it), and Delete and overwrites replace it.
type Damaged struct {
	Bucket string
	// Kind is "head", "part", "upload" or "bucket".
	Kind string
	// Key is the object key a head's path stands for; "" for the others.
	Key string
	// Path is the file, absolute.
	Path string
	// Err says what is wrong with it.
	Err error
	// Removed reports that Check removed it (remove was set).
	Removed bool
}

// CheckReport is what Check found.
type CheckReport struct {
	Buckets, Heads, Uploads, Parts int // records read (damaged ones included)
	Damaged                        []Damaged
}

// Check reads every record of the store and reports the damaged ones. With
// remove set (not on a read-only backend) it removes them, each as its own
// key's change would: a damaged head under the key lock, so the key
// becomes absent and its data files unreferenced (the next Sweep
// reclaims them); a damaged part record likewise; an upload whose record
// is damaged is retired to tmp/ as AbortUpload would, its parts' data left
// to Sweep. A damaged bucket record is reported, never removed: the
// operator decides what the directory is.
func (b *Backend) Check(ctx context.Context, remove bool) (CheckReport, error) {
	var rep CheckReport
	if remove {
		if err := b.checkWritable(ctx); err != nil {
			return rep, err
		}
	}
	names, err := readNames(b.bucketsDir())
	if err != nil {
		return rep, fmt.Errorf("check: %w", err)
	}
	for _, bucket := range names {
		if checkBucket(bucket) != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Buckets++
		p := filepath.Join(b.bucketDir(bucket), bucketInfoName)
		if _, err := readRecord(p, kindUpload); damaged(err) {
			rep.Damaged = append(rep.Damaged, Damaged{Bucket: bucket, Kind: "bucket", Path: p, Err: err})
		}
		if err := b.checkUploads(ctx, bucket, remove, &rep); err != nil {
			return rep, err
		}
		if err := b.checkHeads(ctx, bucket, remove, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (b *Backend) checkHeads(ctx context.Context, bucket string, remove bool, rep *CheckReport) error {
	objects := b.objectsDir(bucket)
	var bad []Damaged
	err := walkHeads(ctx, objects, func(string, *record) { rep.Heads++ }, func(p string, err error) {
		rep.Heads++
		rel, _ := filepath.Rel(objects, p)
		key, _ := decodeElems(strings.Split(rel, string(filepath.Separator)))
		bad = append(bad, Damaged{Bucket: bucket, Kind: "head", Key: key, Path: p, Err: err})
	})
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", bucket, err)
	}
	for _, d := range bad {
		if remove && checkKey(bucket, d.Key) == nil {
			rerr := b.removeDamagedHead(d)
			if rerr != nil {
				return rerr
			}
			d.Removed = true
		}
		rep.Damaged = append(rep.Damaged, d)
	}
	return nil
}

// removeDamagedHead removes d's head if it is still damaged under the key
// lock (it may have been replaced meanwhile).
func (b *Backend) removeDamagedHead(d Damaged) error {
	release, err := b.lockKey(d.Bucket, d.Key)
	if err != nil {
		return err
	}
	_, err = readRecord(d.Path, kindHead)
	if damaged(err) {
		err = b.fs.Remove(d.Path)
	} else {
		err = nil
	}
	release()
	if err != nil && !notExist(err) {
		return fmt.Errorf("check: remove damaged head %s: %w", d.Path, err)
	}
	if err := b.syncDirUp(b.objectsDir(d.Bucket), filepath.Dir(d.Path)); err != nil {
		return fmt.Errorf("check: remove damaged head %s: fsync: %w", d.Path, err)
	}
	b.pruneDirs(b.objectsDir(d.Bucket), filepath.Dir(d.Path))
	return nil
}

func (b *Backend) checkUploads(ctx context.Context, bucket string, remove bool, rep *CheckReport) error {
	ids, err := readNames(b.uploadsDir(bucket))
	if notExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", bucket, err)
	}
	for _, id := range ids {
		if !validUploadID(id) {
			continue
		}
		rep.Uploads++
		dir := b.uploadDir(bucket, id)
		p := filepath.Join(dir, uploadRecordName)
		up, err := readRecord(p, kindUpload)
		if notExist(err) {
			continue
		}
		if damaged(err) {
			d := Damaged{Bucket: bucket, Kind: "upload", Path: p, Err: err}
			if remove {
				if err := b.fs.Rename(dir, b.tmpPath(bucket, "damaged-upload")); err != nil && !notExist(err) {
					return fmt.Errorf("check: retire upload %s: %w", dir, err)
				}
				if err := b.syncDir(b.uploadsDir(bucket)); err != nil {
					return fmt.Errorf("check: retire upload %s: %w", dir, err)
				}
				d.Removed = true
			}
			rep.Damaged = append(rep.Damaged, d)
			continue
		}
		if err != nil {
			return fmt.Errorf("check bucket %s: %w", bucket, err)
		}
		var bad []Damaged
		parts, err := readParts(dir, func(p string, err error) {
			bad = append(bad, Damaged{Bucket: bucket, Kind: "part", Key: up.Key, Path: p, Err: err})
		})
		if notExist(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check bucket %s: %w", bucket, err)
		}
		rep.Parts += len(parts) + len(bad)
		for _, d := range bad {
			if remove {
				if err := b.removeDamagedPart(d); err != nil {
					return err
				}
				d.Removed = true
			}
			rep.Damaged = append(rep.Damaged, d)
		}
	}
	return nil
}

func (b *Backend) removeDamagedPart(d Damaged) error {
	release, err := b.lockKey(d.Bucket, d.Key)
	if err != nil {
		return err
	}
	r, err := readRecord(d.Path, kindPart)
	if err == nil && len(r.Extents) != 1 {
		err = errCorrupt
	}
	if damaged(err) {
		err = b.fs.Remove(d.Path)
	} else {
		err = nil
	}
	release()
	if err != nil && !notExist(err) {
		return fmt.Errorf("check: remove damaged part record %s: %w", d.Path, err)
	}
	return b.syncDirUp(b.uploadsDir(d.Bucket), filepath.Dir(d.Path))
}
