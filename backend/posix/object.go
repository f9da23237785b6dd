package posix

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"envelopegw/backend"
)

// readHead returns the head of bucket/key, mapping a missing file to
// ErrNoSuchKey or ErrNoSuchBucket.
func (b *Backend) readHead(bucket, key string) (*record, error) {
	r, err := readRecord(b.headPath(bucket, key), kindHead)
	if err != nil {
		return nil, b.notFound(bucket, err, backend.ErrNoSuchKey, "%s/%s", bucket, key)
	}
	return r, nil
}

func infoOf(r *record) backend.ObjectInfo {
	return backend.ObjectInfo{Key: r.Key, Size: r.size(), ModTime: r.Time, Meta: r.Meta, Version: r.Version}
}

func checkBucketKey(bucket, key string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	return checkKey(bucket, key)
}

// Stat returns the object's size, modification time and metadata.
func (b *Backend) Stat(ctx context.Context, bucket, key string) (backend.ObjectInfo, error) {
	if err := checkBucketKey(bucket, key); err != nil {
		return backend.ObjectInfo{}, err
	}
	r, err := b.readHead(bucket, key)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	return infoOf(r), nil
}

// SetMeta rewrites the head with new metadata; the data files stay as they
// are, and inline data becomes a data file by a hard link (inline.go).
func (b *Backend) SetMeta(ctx context.Context, bucket, key string, meta backend.Meta, ifModTime time.Time) (backend.ObjectInfo, error) {
	if err := checkBucketKey(bucket, key); err != nil {
		return backend.ObjectInfo{}, err
	}
	if err := b.checkWritable(ctx); err != nil {
		return backend.ObjectInfo{}, err
	}
	where := bucket + "/" + key
	if err := checkMeta(meta, where); err != nil {
		return backend.ObjectInfo{}, err
	}
	var done func(published bool) // set when an inline head became a data file
	r, published, err := b.publishHead(ctx, bucket, key, func(old *record) (*record, error) {
		if old == nil {
			return nil, b.notFound(bucket, fs.ErrNotExist, backend.ErrNoSuchKey, "%s", where)
		}
		if !ifModTime.IsZero() && !old.Time.Equal(ifModTime) {
			return nil, fmt.Errorf("%s: modified at %s, not %s: %w", where,
				old.Time.Format(time.RFC3339Nano), ifModTime.Format(time.RFC3339Nano), backend.ErrPrecondition)
		}
		exts, d, err := b.extentsOf(bucket, key, old)
		if err != nil {
			return nil, err
		}
		done = d
		return &record{Extents: exts, Meta: meta.Clone()}, nil
	}, nil)
	if done != nil {
		done(published)
	}
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	return infoOf(r), nil
}

// Delete removes the head (the commit point), then the data files, then
// the directories the head leaves empty. cond is checked under the key
// lock, against the head it removes.
func (b *Backend) Delete(ctx context.Context, bucket, key string, cond ...backend.Cond) error {
	if err := checkBucketKey(bucket, key); err != nil {
		return err
	}
	if err := b.checkWritable(ctx); err != nil {
		return err
	}
	head := b.headPath(bucket, key)
	release, err := b.lockKey(bucket, key)
	if err != nil {
		return err
	}
	old, err := readRecord(head, kindHead)
	if damaged(err) {
		// Remove what cannot be read: its data files are unknown, so
		// they stay for Sweep to find unreferenced. Conditions see a
		// damaged head as no object, as overwrites do.
		if err := backend.CheckConds(cond, "delete "+bucket+"/"+key, false, ""); err != nil {
			release()
			return err
		}
		b.log().WarnContext(ctx, "posix: deleting a damaged head", "bucket", bucket, "key", key, "err", err)
		old, err = &record{}, b.fs.Remove(head)
	} else if err == nil {
		if err = backend.CheckConds(cond, "delete "+bucket+"/"+key, true, old.Version); err != nil {
			release()
			return err
		}
		b.dropSnapshot(bucket, head) // before and after: listsnap_drop.go
		err = b.fs.Remove(head)
	}
	release()
	if err != nil {
		return b.notFound(bucket, err, backend.ErrNoSuchKey, "delete %s/%s", bucket, key)
	}
	hook("head-removed")
	b.dropSnapshot(bucket, head) // it may hold the removed head (listsnap_drop.go)
	// A concurrent Delete of a neighbour may have pruned the directory;
	// syncDirUp then makes that removal durable instead of failing.
	if err := b.syncDirUp(b.objectsDir(bucket), filepath.Dir(head)); err != nil {
		return fmt.Errorf("delete %s/%s: fsync: %w", bucket, key, err)
	}
	b.removeData(bucket, old.Extents, nil)
	b.pruneDirs(b.objectsDir(bucket), filepath.Dir(head))
	return nil
}

// Open reads the head and opens the first data file at once; the others
// are opened when a read first needs them. If the first data file is gone,
// the head was replaced between the two steps: Open reads the head again,
// once.
func (b *Backend) Open(ctx context.Context, bucket, key string) (backend.Object, error) {
	if err := checkBucketKey(bucket, key); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		head := b.headPath(bucket, key)
		hf, err := openFile(head, os.O_RDONLY, 0)
		if err != nil {
			return nil, b.notFound(bucket, err, backend.ErrNoSuchKey, "%s/%s", bucket, key)
		}
		r, err := readRecordFile(hf, head, kindHead)
		if err != nil || !r.inline {
			hf.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", bucket, key, err)
		}
		o := &object{b: b, bucket: bucket, r: r, exts: r.Extents}
		if r.inline {
			// The head file holds the data: reading it needs no other
			// file, and a replace cannot pull it away.
			o.exts = []extent{{Size: r.Inline, Off: inlineDataOff}}
			o.open = []openExtent{{i: 0, f: hf}}
		}
		o.ends = make([]int64, len(o.exts))
		var end int64
		for i, e := range o.exts {
			end += e.Size
			o.ends[i] = end
		}
		if len(o.exts) == 0 || r.inline {
			return o, nil
		}
		if openHook != nil {
			openHook()
		}
		f, err := os.Open(b.dataPath(bucket, r.Extents[0].ID))
		if notExist(err) && attempt == 0 {
			continue
		}
		if err != nil {
			return nil, b.notFound(bucket, err, backend.ErrNoSuchKey, "open %s/%s", bucket, key)
		}
		o.open = []openExtent{{i: 0, f: f}}
		return o, nil
	}
}

// openHook, when set by tests, runs between reading the head and opening
// the first data file: the window a concurrent replace can hit.
var openHook func()

// maxOpenExtents bounds the data files one open Object keeps open. Reads
// are mostly sequential, so a few suffice; a multipart object may have
// 10,000 extents.
const maxOpenExtents = 4

type openExtent struct {
	i    int
	f    *os.File
	refs int
}

// object is an open head plus lazily opened data files.
type object struct {
	b      *Backend
	bucket string
	r      *record
	exts   []extent // r.Extents, or the inline data as one extent of the head file
	ends   []int64  // ends[i] is the offset just past extent i

	mu     sync.Mutex
	open   []openExtent // most recently used last
	closed bool
}

func (o *object) Info() backend.ObjectInfo { return infoOf(o.r) }

// acquire returns an open file for extent i, holding a reference that
// release drops; files beyond maxOpenExtents are closed once unreferenced.
func (o *object) acquire(i int) (*os.File, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, fmt.Errorf("%s/%s: read after Close: %w", o.bucket, o.r.Key, fs.ErrClosed)
	}
	for j := range o.open {
		if o.open[j].i == i {
			oe := o.open[j]
			oe.refs++
			copy(o.open[j:], o.open[j+1:])
			o.open[len(o.open)-1] = oe
			return oe.f, nil
		}
	}
	f, err := os.Open(o.b.dataPath(o.bucket, o.r.Extents[i].ID))
	if notExist(err) {
		return nil, fmt.Errorf("%s/%s: data file %s was removed by a concurrent replace or delete: %w",
			o.bucket, o.r.Key, o.r.Extents[i].ID, backend.ErrNoSuchKey)
	}
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", o.bucket, o.r.Key, err)
	}
	o.open = append(o.open, openExtent{i: i, f: f, refs: 1})
	o.evict()
	return f, nil
}

func (o *object) release(f *os.File) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for j := range o.open {
		if o.open[j].f == f {
			o.open[j].refs--
			break
		}
	}
	o.evict()
}

// evict closes the least recently used unreferenced files beyond the limit.
func (o *object) evict() {
	for j := 0; len(o.open) > maxOpenExtents && j < len(o.open); {
		if o.open[j].refs > 0 {
			j++
			continue
		}
		o.open[j].f.Close()
		o.open = append(o.open[:j], o.open[j+1:]...)
	}
}

func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s/%s: negative offset: %w", o.bucket, o.r.Key, fs.ErrInvalid)
	}
	size := int64(0)
	if len(o.ends) > 0 {
		size = o.ends[len(o.ends)-1]
	}
	if off >= size {
		if len(p) == 0 && off == size {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := 0
	i := sort.Search(len(o.ends), func(i int) bool { return o.ends[i] > off })
	for n < len(p) && i < len(o.ends) {
		start := o.ends[i] - o.exts[i].Size
		want := p[n:]
		if rest := o.ends[i] - off; int64(len(want)) > rest {
			want = want[:rest]
		}
		f, err := o.acquire(i)
		if err != nil {
			return n, err
		}
		m, err := f.ReadAt(want, off-start+o.exts[i].Off)
		o.release(f)
		n += m
		off += int64(m)
		if m < len(want) {
			if err == nil || err == io.EOF {
				err = fmt.Errorf("%s/%s: data file %s is shorter than its head says: %w",
					o.bucket, o.r.Key, o.exts[i].ID, io.ErrUnexpectedEOF)
			}
			return n, err
		}
		i++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (o *object) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	for _, oe := range o.open {
		oe.f.Close()
	}
	o.open = nil
	return nil
}
