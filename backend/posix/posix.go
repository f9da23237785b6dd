package posix

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"envelopegw/backend"
)

// Options configure a Backend. The zero value is the safe default.
type Options struct {
	// NoFsync skips every fsync. Commits are then atomic but not durable:
	// a power loss may lose recently committed objects (never expose half
	// of one on a journaling filesystem). For tests and benchmarks.
	NoFsync bool
	// ReadOnly makes every mutating method fail with ErrReadOnly and New
	// create nothing; for offline tools such as `envelopegw cat`.
	ReadOnly bool
	// ListCacheEntries bounds the cache of sorted large directories that
	// keeps List fast on directories of many keys (see dircache.go): 0
	// means about two million entries (some 100 MB at most), a negative
	// value disables the cache.
	ListCacheEntries int
	// ListCacheBytes bounds the head records the directory cache keeps
	// for the listing (see headcache.go): 0 means 64 MiB, a negative value
	// keeps none.
	ListCacheBytes int
	// NoListSnapshots lists without reading or asking for listing
	// snapshots (listsnap.go): every cold page reads the directories and
	// heads themselves. For the tools that check a store (scrub, fsck,
	// inventory), which must not trust a cache to enumerate its keys.
	NoListSnapshots bool
	// Logger receives warnings about damaged records that listings and
	// Sweep skip; nil means slog.Default().
	Logger *slog.Logger
}

// ErrReadOnly is returned by mutating methods of a read-only Backend.
var ErrReadOnly = errors.New("posix: backend is read-only")

// Backend stores buckets in a directory tree. See the package
// documentation for the layout.
type Backend struct {
	root string // absolute
	opts Options
	dirs *dirCache // nil when disabled
	fs   fileSystem
	// writer is this backend's writer ID, held by lease (see lease.go);
	// "" for a read-only backend.
	writer string
	lease  *os.File
	dsync  *dirSyncer   // group commit of directory fsyncs (groupcommit.go)
	locks  *lockCache   // kept lock files (lockcache.go)
	snaps  *snapBuilder // listing snapshots being built (listsnap_build.go)
}

var _ backend.Backend = (*Backend)(nil)

// maxRoot keeps root plus the longest relative path of an object (about
// 2,100 bytes for a 1,024-byte key of control characters) below PATH_MAX.
const maxRoot = 1500

// New opens the store rooted at root, creating root/buckets unless
// opts.ReadOnly.
func New(root string, opts Options) (*Backend, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("posix: root %q: %w", root, err)
	}
	if len(abs) > maxRoot {
		return nil, fmt.Errorf("posix: root %q is longer than %d bytes", abs, maxRoot)
	}
	b := &Backend{root: abs, opts: opts, fs: osFS{}, dsync: &dirSyncer{}, locks: newLockCache(), snaps: &snapBuilder{}}
	// A Backend nobody closes (tests, tools) still gives back its kept
	// lock files.
	runtime.AddCleanup(b, func(c *lockCache) { c.close() }, b.locks)
	hb := opts.ListCacheBytes
	if hb == 0 {
		hb = defaultHeadCacheBytes
	}
	switch n := opts.ListCacheEntries; {
	case n == 0:
		b.dirs = newDirCache(defaultCacheEntries, hb)
	case n > 0:
		b.dirs = newDirCache(n, hb)
	}
	if opts.ReadOnly {
		if _, err := os.Stat(b.bucketsDir()); err != nil {
			return nil, fmt.Errorf("posix: %s is not a data directory: %w", abs, err)
		}
		return b, nil
	}
	if err := os.MkdirAll(b.bucketsDir(), 0o700); err != nil {
		return nil, fmt.Errorf("posix: %w", err)
	}
	if err := b.takeLease(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Backend) log() *slog.Logger {
	if b.opts.Logger != nil {
		return b.opts.Logger
	}
	return slog.Default()
}

// skipDamaged logs a damaged record that an operation skips, so one bad
// file costs its own key and not the bucket. `envelopegw fsck` reports
// and removes such records.
func (b *Backend) skipDamaged(ctx context.Context, op, path string, err error) {
	b.log().WarnContext(ctx, "posix: skipping a damaged record (run envelopegw fsck to report and remove such records)",
		"op", op, "path", path, "err", err)
}

// Root returns the absolute directory the backend stores its data under.
func (b *Backend) Root() string { return b.root }

func (b *Backend) bucketsDir() string             { return filepath.Join(b.root, "buckets") }
func (b *Backend) bucketDir(bucket string) string { return filepath.Join(b.root, "buckets", bucket) }
func (b *Backend) objectsDir(bucket string) string {
	return filepath.Join(b.bucketDir(bucket), "objects")
}
func (b *Backend) dataDir(bucket string) string { return filepath.Join(b.bucketDir(bucket), "data") }
func (b *Backend) uploadsDir(bucket string) string {
	return filepath.Join(b.bucketDir(bucket), "uploads")
}
func (b *Backend) tmpDir(bucket string) string   { return filepath.Join(b.bucketDir(bucket), "tmp") }
func (b *Backend) locksDir(bucket string) string { return filepath.Join(b.bucketDir(bucket), "locks") }

// headPath is the head file of bucket/key; key must have been checked.
func (b *Backend) headPath(bucket, key string) string {
	elems := keyElems(key)
	return filepath.Join(append([]string{b.objectsDir(bucket)}, elems...)...)
}

// dataPath is the data file with the given id; id must be valid.
func (b *Backend) dataPath(bucket, id string) string {
	return filepath.Join(b.dataDir(bucket), id[:2], id)
}

func (b *Backend) uploadDir(bucket, id string) string { return filepath.Join(b.uploadsDir(bucket), id) }

func (b *Backend) tmpPath(bucket, what string) string {
	return filepath.Join(b.tmpDir(bucket), what+"-"+b.writer+"-"+newID())
}

// checkWritable guards every mutating method.
func (b *Backend) checkWritable(ctx context.Context) error {
	if b.opts.ReadOnly {
		return ErrReadOnly
	}
	return ctx.Err()
}

// notFound turns a missing-file error into the right sentinel: NoSuchBucket
// when the bucket itself is gone, otherwise what.
func (b *Backend) notFound(bucket string, err error, what error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if notExist(err) {
		if _, serr := os.Stat(filepath.Join(b.bucketDir(bucket), bucketInfoName)); serr != nil {
			return fmt.Errorf("bucket %s: %w", bucket, backend.ErrNoSuchBucket)
		}
		if what != nil {
			return fmt.Errorf(format+": %w", append(args, what)...)
		}
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// removeData removes data files after the records that referenced them
// are gone (or durable elsewhere), skipping ids in keep. Missing files are
// fine: a concurrent sweep or an earlier crashed attempt may have removed
// them.
func (b *Backend) removeData(bucket string, exts []extent, keep map[string]bool) {
	for _, e := range exts {
		if keep[e.ID] {
			continue
		}
		b.fs.Remove(b.dataPath(bucket, e.ID))
	}
}
