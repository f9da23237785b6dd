package posix

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"

	"envelopegw/backend"
)

// Copy gives dstBucket/dstKey the data files of src by hard-linking them
// under new ids: no byte is read or written, whatever the object's size.
// Each link goes first to a temp name that carries this writer's ID and
// from there into data/, exactly as a writer's data file does (writer.go),
// so a copy in flight has a second link and a dead copier's leftovers are
// its own; then the new head is published as by a commit.
//
// The two objects share inodes but not names: deleting or replacing
// either removes only its own names, and a data file's bytes are never
// changed once written, so neither can harm the other. A data file shared
// this way has more than one link for as long as both objects live;
// Sweep therefore decides an unreferenced file with several links by age
// (of its ctime, which every link and unlink renews), not as in flight
// forever (sweep.go).
func (b *Backend) Copy(ctx context.Context, src backend.CopySource, bucket, key string, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	if err := checkBucketKey(src.Bucket, src.Key); err != nil {
		return backend.ObjectInfo{}, err
	}
	if err := checkBucketKey(bucket, key); err != nil {
		return backend.ObjectInfo{}, err
	}
	if err := b.checkWritable(ctx); err != nil {
		return backend.ObjectInfo{}, err
	}
	where := fmt.Sprintf("copy %s/%s to %s/%s", src.Bucket, src.Key, bucket, key)
	if err := checkMeta(meta, where); err != nil {
		return backend.ObjectInfo{}, err
	}
	old, fi, err := b.readHeadFile(src.Bucket, src.Key)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	if old.Version != src.Version {
		return backend.ObjectInfo{}, fmt.Errorf("%s: version %s is current, not %s: %w", where, old.Version, src.Version, backend.ErrSourceChanged)
	}
	var exts []extent
	var tmps []string
	if old.inline {
		// A single PUT's data is its head file (inline.go).
		exts, tmps, err = b.linkInline(src.Bucket, src.Key, bucket, old, fi, where)
	} else {
		exts, tmps, err = b.linkExtents(src.Bucket, bucket, old.Extents, where)
	}
	hook("copy-linked")
	defer func() {
		for _, t := range tmps {
			b.fs.Remove(t)
		}
	}()
	if err != nil {
		b.removeData(bucket, exts, nil)
		return backend.ObjectInfo{}, err
	}
	r, published, err := b.publishHead(ctx, bucket, key, func(old *record) (*record, error) {
		if err := checkHead(cond, where, old); err != nil {
			return nil, err
		}
		return &record{Extents: exts, Meta: meta.Clone()}, nil
	}, nil)
	if err != nil && !published {
		b.removeData(bucket, exts, nil)
	}
	if r == nil {
		return backend.ObjectInfo{}, err
	}
	return infoOf(r), err
}

// linkExtents links each data file of exts (in srcBucket) into bucket's
// data/ under a new id, through a temp name, and fsyncs the directories
// it changed. It returns the new extents placed so far and the temp names,
// which the caller removes once the record is published (or failed). A
// missing source file means the source was replaced or deleted after its
// head was read: ErrSourceChanged.
//
// The temp names are made durable before any data/ name: unlike a
// writer's file, a linked one keeps a second link (the source's) when its
// temp name is lost in a crash, so only a temp name that survives tells
// Sweep that the new data/ name belongs to a copier that died.
func (b *Backend) linkExtents(srcBucket, bucket string, exts []extent, where string) (out []extent, tmps []string, err error) {
	ids := make([]string, len(exts))
	for i, e := range exts {
		ids[i] = newID()
		tmp := filepath.Join(b.tmpDir(bucket), "data-"+b.writer+"-"+ids[i])
		if err := b.fs.Link(b.dataPath(srcBucket, e.ID), tmp); err != nil {
			if errors.Is(err, syscall.EXDEV) {
				// The two buckets are on different filesystems.
				return nil, tmps, fmt.Errorf("%s: %w: %w", where, backend.ErrCopyUnsupported, err)
			}
			// Missing: the source's data file went with a concurrent
			// replace or delete, unless it is the destination bucket.
			return nil, tmps, b.notFound(bucket, err, backend.ErrSourceChanged, "%s: link data file", where)
		}
		tmps = append(tmps, tmp)
	}
	if len(tmps) > 0 {
		if err := b.syncDir(b.tmpDir(bucket)); err != nil {
			return nil, tmps, b.notFound(bucket, err, nil, "%s: fsync temp directory", where)
		}
	}
	var dirs []string
	for i, e := range exts {
		data := b.dataPath(bucket, ids[i])
		touched, err := b.placeInto(b.dataDir(bucket), tmps[i], data, b.fs.Link)
		if err != nil {
			return out, tmps, b.notFound(bucket, err, nil, "%s: publish data file", where)
		}
		out = append(out, extent{ID: ids[i], Size: e.Size, Off: e.Off})
		dirs = append(append(dirs, touched...), filepath.Dir(data))
	}
	seen := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		if seen[d] {
			continue
		}
		seen[d] = true
		if err := b.syncDir(d); err != nil {
			return out, tmps, b.notFound(bucket, err, nil, "%s: fsync %s", where, d)
		}
	}
	return out, tmps, nil
}
