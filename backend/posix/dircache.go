package posix

import (
	"os"
	"sync"
	"syscall"
	"time"
)

// Directory cache.
//
// readdir returns names in no order, so listing a page from a directory
// means reading and sorting all of it. For a directory of a million keys
// that is most of a second per page. The cache keeps the sorted entries of
// large directories and revalidates them with one stat per use: a change
// to a directory (an entry added, removed or renamed) updates its mtime
// and ctime, so an unchanged (inode, mtime, ctime, size) means unchanged
// entries.
//
// Timestamps have a granularity (a jiffy on Linux), and a change in the
// same tick as the read would go unnoticed, so a directory is cached only
// once its ctime is racyWindow old when it is read; a busy directory is
// read afresh each time. The window also absorbs clock skew between hosts
// that share the volume: a host whose clock lags by more than racyWindow
// could make a change invisible to this cache until the next one.

const (
	// cacheMinSize is the directory size (bytes, as stat reports it) from
	// which caching pays: some five hundred entries on ext4.
	cacheMinSize = 16 << 10
	racyWindow   = 2 * time.Second
	// defaultCacheEntries bounds the cache: about 50 bytes an entry for
	// short keys.
	defaultCacheEntries = 1 << 21
)

type dirStamp struct {
	ino, size    int64
	mtime, ctime int64
}

func stampOf(fi os.FileInfo) dirStamp {
	st := fi.Sys().(*syscall.Stat_t)
	return dirStamp{
		ino: int64(st.Ino), size: st.Size,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
	}
}

type cachedDir struct {
	stamp dirStamp
	ents  []dirEnt
	used  uint64
	// heads holds the head records of ents read since the directory was
	// cached, by index in ents (headcache.go); nil until the first.
	heads     []*record
	headBytes int
	gone      bool // evicted or replaced: store no more heads here
	// snap is the directory's listing snapshot for this stamp, nil if
	// none is known (listsnap.go); asked says one was asked for.
	snap  *snapshot
	asked bool
}

type dirCache struct {
	mu    sync.Mutex
	m     map[string]*cachedDir
	total int
	max   int
	tick  uint64

	headBytes, maxHeadBytes int // head records held, and their bound
}

func newDirCache(max, maxHeadBytes int) *dirCache {
	return &dirCache{m: make(map[string]*cachedDir), max: max, maxHeadBytes: maxHeadBytes}
}

func (c *dirCache) get(path string, s dirStamp) *cachedDir {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.m[path]
	if d == nil {
		return nil
	}
	if d.stamp != s {
		c.drop(path, d)
		return nil
	}
	c.tick++
	d.used = c.tick
	return d
}

// drop removes d, cached for path; c.mu is held.
func (c *dirCache) drop(path string, d *cachedDir) {
	delete(c.m, path)
	c.total -= len(d.ents)
	c.headBytes -= d.headBytes
	d.gone, d.heads, d.headBytes = true, nil, 0
}

func (c *dirCache) put(path string, s dirStamp, ents []dirEnt, snap *snapshot) *cachedDir {
	if len(ents) > c.max/2 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[path]; old != nil {
		c.drop(path, old)
	}
	c.tick++
	d := &cachedDir{stamp: s, ents: ents, used: c.tick, snap: snap}
	c.m[path] = d
	c.total += len(ents)
	for c.total > c.max {
		// Evict the least recently used. The cache holds few, large
		// directories, so a scan is cheap next to reading one.
		var lru string
		var oldest uint64 = ^uint64(0)
		for p, d := range c.m {
			if d.used < oldest {
				lru, oldest = p, d.used
			}
		}
		c.drop(lru, c.m[lru])
	}
	return d
}

// dirView is a directory of the objects tree as a listing sees it.
type dirView struct {
	ents []dirEnt   // sorted
	cd   *cachedDir // the cache's record of it as of this stat, or nil
	snap *snapshot  // its valid listing snapshot, or nil
}

// readDir returns the sorted entries of a directory of the objects tree
// of bucket: from the cache when the directory has not changed, else from
// its listing snapshot when that was written for the directory as it is
// (listsnap.go), else from the directory itself. The cache's record can
// hold the entries' head records (headcache.go).
func (b *Backend) readDir(bucket, path string) (dirView, error) {
	var before os.FileInfo
	if b.dirs != nil {
		fi, err := os.Stat(path)
		if err != nil {
			return dirView{}, err
		}
		if fi.Size() >= cacheMinSize {
			st := stampOf(fi)
			if d := b.dirs.get(path, st); d != nil {
				return dirView{ents: d.ents, cd: d, snap: b.dirs.snapOf(d)}, nil
			}
			// A snapshot is only written for a stamp older than
			// racyWindow, so its directory may be cached.
			if !b.opts.NoListSnapshots {
				if s, ents, err := b.openSnapshot(bucket, path, st); err == nil {
					return dirView{ents: ents, cd: b.dirs.put(path, st, ents, s), snap: s}, nil
				}
			}
			before = fi
		}
	}
	names, err := readNames(path)
	if err != nil {
		return dirView{}, err
	}
	v := dirView{ents: parseEnts(names)}
	// ctime, not mtime: utimes(2) can set mtime to anything, while ctime
	// always moves to the current time.
	if before != nil && time.Since(time.Unix(0, stampOf(before).ctime)) > racyWindow {
		if after, err := os.Stat(path); err == nil && stampOf(after) == stampOf(before) {
			v.cd = b.dirs.put(path, stampOf(before), v.ents, nil)
		}
	}
	return v, nil
}

// snapOf returns d's listing snapshot, or nil.
func (c *dirCache) snapOf(d *cachedDir) *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return d.snap
}

// askSnap reports whether a snapshot of d is worth asking for: d has
// none, and none was asked for since d was cached.
func (c *dirCache) askSnap(d *cachedDir) bool {
	if c == nil || d == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.gone || d.snap != nil || d.asked {
		return false
	}
	d.asked = true
	return true
}

// attachSnap records s, a snapshot written for stamp st of path, with the
// cached directory if it is cached for that stamp.
func (c *dirCache) attachSnap(path string, st dirStamp, s *snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.m[path]; d != nil && d.stamp == st {
		d.snap = s
	}
}
