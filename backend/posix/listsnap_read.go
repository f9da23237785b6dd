package posix

import "strings"

// headsFromSnapshots fills res with the heads of batch that the head
// cache does not hold and whose directory has a listing snapshot
// (listsnap.go), reading each block a page needs once, and keeps them in
// the head cache. An entry whose block cannot be used, or whose head there
// is not for its key, is left to be read from its head file.
func (b *Backend) headsFromSnapshots(batch []listed, res []headResult) {
	type blockKey struct {
		s *snapshot
		k int
	}
	var loaded map[blockKey][]*record
	for i := range batch {
		e := &batch[i]
		if e.cp || e.snap == nil {
			continue
		}
		if r := b.dirs.cachedHead(e.dir, e.idx); r != nil {
			res[i] = headResult{rec: r, shared: true}
			continue
		}
		k := blockKey{e.snap, e.idx / e.snap.per}
		heads, ok := loaded[k]
		if !ok {
			if k.k < len(e.snap.blocks) {
				heads, _ = e.snap.headsOfBlock(k.k) // nil when unusable
			}
			if loaded == nil {
				loaded = map[blockKey][]*record{}
			}
			loaded[k] = heads
		}
		j := e.idx % e.snap.per
		if j >= len(heads) || heads[j] == nil || heads[j].Key != e.key {
			continue
		}
		r := heads[j]
		cost := len(r.Key) + len(r.Version) + metaSize(r.Meta) + 20*len(r.Meta) + 40
		res[i] = headResult{rec: r, shared: b.dirs.keepHead(e.dir, e.idx, r, cost)}
	}
}

// askSnapshots asks for a snapshot of each cached directory of batch that
// has none and whose heads this page read from their files (read[i]).
func (b *Backend) askSnapshots(bucket string, batch []listed, read []bool) {
	for i := range batch {
		e := &batch[i]
		if read[i] && e.snap == nil && b.dirs.askSnap(e.dir) {
			b.wantSnapshot(bucket, e.path[:strings.LastIndexByte(e.path, '/')])
		}
	}
}
