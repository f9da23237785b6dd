package posix

import (
	"maps"

	"envelopegw/backend"
)

// Head records of cached directories.
//
// A listed key costs one head read (open, read, close of a small file),
// some ten microseconds of system time even from the page cache, so a
// 1,000-key page costs milliseconds of CPU per call and a walk of a
// million keys tens of seconds. The directory cache already proves, with
// one stat per directory per page, that a large directory's entries have
// not changed; the same proof covers the heads it names, because a head
// changes only through its directory: it is published by rename(2) over
// the old name and removed by unlink(2), each of which moves the
// directory's mtime and ctime, and it is never rewritten in place. So a
// head read from a cached directory is kept with the directory and used
// for as long as the directory's stamp is unchanged, and dropped with it.
//
// A head read after the stat that validated its directory may already be
// a newer version than that stamp describes; it is kept all the same,
// because the rename that produced it also changed the stamp, so the next
// stat drops the directory and everything kept with it.
//
// The heads are bounded in bytes (Options.ListCacheBytes): a directory
// that would go over takes the heads of the least recently used other
// directories, and when there are none it keeps no more; a negative bound
// keeps none.

// defaultHeadCacheBytes bounds the cached head records: some 11,000
// heads of gateway objects (a signed record makes a head about 5.4 KiB
// with one recipient), or the pages a client lists again and again.
const defaultHeadCacheBytes = 64 << 20

// headOverhead is what a cached head costs besides its encoded bytes (the
// record, its map and strings), roughly.
const headOverhead = 200

// cachedHead returns the head of entry i of d kept by an earlier listing,
// or nil.
func (c *dirCache) cachedHead(d *cachedDir, i int) *record {
	if c == nil || d == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.gone || d.heads == nil {
		return nil
	}
	return d.heads[i]
}

// keepHead keeps r, the head of entry i of d, whose encoding is n bytes.
// It reports whether r is now shared with the cache (and must not be
// modified).
func (c *dirCache) keepHead(d *cachedDir, i int, r *record, n int) bool {
	if c == nil || d == nil {
		return false
	}
	cost := n + headOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.gone || d.heads != nil && d.heads[i] != nil {
		return false
	}
	if d.heads == nil {
		cost += 8 * len(d.ents) // the slice of pointers
	}
	for c.headBytes+cost > c.maxHeadBytes {
		if !c.evictHeads(d) {
			return false
		}
	}
	if d.heads == nil {
		d.heads = make([]*record, len(d.ents))
	}
	d.heads[i] = r
	d.headBytes += cost
	c.headBytes += cost
	return true
}

// evictHeads drops the heads of the least recently used directory other
// than keep; false when there is none.
func (c *dirCache) evictHeads(keep *cachedDir) bool {
	var lru *cachedDir
	for _, d := range c.m {
		if d != keep && d.headBytes > 0 && (lru == nil || d.used < lru.used) {
			lru = d
		}
	}
	if lru == nil {
		return false
	}
	c.headBytes -= lru.headBytes
	lru.heads, lru.headBytes = nil, 0
	return true
}

// infoOfShared is infoOf for a record that may be shared with the cache:
// the caller gets its own metadata map.
func infoOfShared(r *record, shared bool) backend.ObjectInfo {
	info := infoOf(r)
	if shared {
		info.Meta = maps.Clone(r.Meta)
	}
	return info
}
