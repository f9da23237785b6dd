package posix

import (
	"container/heap"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"envelopegw/backend"
)

// dirEnt is one entry of a directory of the objects tree. All entries of
// a directory share the directory's bound (the key bytes its path stands
// for), so an entry keeps only the bytes it adds: the decoded component or
// chunk, followed by "/" for a 'd' directory. Every key below a directory
// entry starts with bound+frag; a head's key is bound+frag.
type dirEnt struct {
	frag string
	tag  byte
}

func (e dirEnt) isDir() bool { return e.tag != tagObject }

// name is the entry's name on disk.
func (e dirEnt) name() string {
	f := e.frag
	if e.tag == tagDir {
		f = f[:len(f)-1]
	}
	return string(rune(e.tag)) + escapeName(f)
}

// cmpEnt orders the entries of one directory so that a merge that always
// takes the least entry emits keys in byte-wise order: by frag, and a head
// before a continuation directory with the same frag (head "ab" before
// "cab", which holds only longer components starting with "ab").
func cmpEnt(a, b dirEnt) int {
	if c := strings.Compare(a.frag, b.frag); c != 0 {
		return c
	}
	return boolCmp(a.isDir(), b.isDir())
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// cmpConcat compares a1+a2 with b1+b2 without building either.
func cmpConcat(a1, a2, b1, b2 string) int {
	for {
		if a1 == "" {
			a1, a2 = a2, ""
		}
		if b1 == "" {
			b1, b2 = b2, ""
		}
		if a1 == "" || b1 == "" {
			return boolCmp(a1 != "", b1 != "")
		}
		n := min(len(a1), len(b1))
		if c := strings.Compare(a1[:n], b1[:n]); c != 0 {
			return c
		}
		a1, b1 = a1[n:], b1[n:]
	}
}

// parseEnts decodes directory names into sorted entries, ignoring names
// the encoding never produces.
func parseEnts(names []string) []dirEnt {
	ents := make([]dirEnt, 0, len(names))
	for _, n := range names {
		if n == "" {
			continue
		}
		d, ok := decodeName(n[1:])
		if !ok {
			continue
		}
		switch n[0] {
		case tagObject, tagContinue:
		case tagDir:
			d += "/"
		default:
			continue
		}
		ents = append(ents, dirEnt{frag: d, tag: n[0]})
	}
	slices.SortFunc(ents, cmpEnt)
	return ents
}

// cursor walks the sorted entries of one directory. ents may be shared
// with the directory cache and is never modified.
type cursor struct {
	path  string
	bound string
	ents  []dirEnt
	dir   *cachedDir // the cache's record of this directory, or nil
	snap  *snapshot  // its listing snapshot, or nil
	i     int
	stop  string // relative prefix: the walk ends past the entries starting with it
	limit bool   // stop applies
}

func (c *cursor) cur() dirEnt { return c.ents[c.i] }

func (c *cursor) done() bool {
	if c.i >= len(c.ents) {
		return true
	}
	f := c.ents[c.i].frag
	return c.limit && f > c.stop && !strings.HasPrefix(f, c.stop)
}

// seek moves to the first entry that can hold a key >= bound+rel: the
// entries from rel on, and the directories whose frag is a proper prefix
// of rel. Those are few: the 'd' entry of rel's first component, and 'c'
// entries whose frag is a prefix of that component long enough to be a
// cut chunk (a chunk is cut where the next rune, at most utf8.UTFMax
// encoded bytes, would not fit), so at most utf8.UTFMax candidates.
func (c *cursor) seek(rel string) {
	i := sort.Search(len(c.ents), func(i int) bool { return c.ents[i].frag >= rel })
	comp := rel
	if k := strings.IndexByte(rel, '/'); k >= 0 {
		comp = rel[:k]
		if j, ok := c.find(rel[:k+1]); ok && j < i {
			i = j
		}
	}
	w := 0
	for p := 0; p < len(comp); {
		r, n := utf8.DecodeRuneInString(comp[p:])
		if r == utf8.RuneError && n == 1 {
			break // no key continues past invalid UTF-8
		}
		w += encodedWidth(comp[p : p+n])
		p += n
		if w > maxElem {
			break
		}
		if w > maxElem-utf8.UTFMax {
			if j, ok := c.find(comp[:p]); ok && j < i {
				i = j
			}
		}
	}
	c.i = max(c.i, i)
}

func (c *cursor) find(frag string) (int, bool) {
	i := sort.Search(len(c.ents), func(i int) bool { return c.ents[i].frag >= frag })
	for ; i < len(c.ents) && c.ents[i].frag == frag; i++ {
		if c.ents[i].isDir() {
			return i, true
		}
	}
	return 0, false
}

// skipPrefix moves past every entry whose frag starts with rel.
func (c *cursor) skipPrefix(rel string) {
	i := sort.Search(len(c.ents)-c.i, func(j int) bool {
		f := c.ents[c.i+j].frag
		return f > rel && !strings.HasPrefix(f, rel)
	})
	c.i += i
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	ea, eb := a.cur(), b.cur()
	if c := cmpConcat(a.bound, ea.frag, b.bound, eb.frag); c != 0 {
		return c < 0
	}
	return !ea.isDir() && eb.isDir()
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// lister is one List call: a merge of directory cursors that reads a
// directory only when its least possible key is the next one due, so a
// page costs the directories that hold its keys, not the bucket.
type lister struct {
	b      *Backend
	bucket string
	opts   backend.ListOptions
	heap   cursorHeap
	skip   string // the last common prefix returned: everything below it is done
}

// listed is one result of the walk: a key with its head path (entry idx
// of dir when its directory is cached, and of snap when it has a listing
// snapshot), or a common prefix.
type listed struct {
	key  string
	path string
	cp   bool
	dir  *cachedDir
	snap *snapshot
	idx  int
}

// rollup returns the common prefix that s rolls up to, or "" if none is
// certain. For a directory bound this is sound because every key below
// starts with the bound, so the first delimiter after Prefix is the one in
// the bound.
func (l *lister) rollup(s string) string {
	p, d := l.opts.Prefix, l.opts.Delimiter
	if d == "" || len(s) < len(p) {
		return ""
	}
	if i := strings.Index(s[len(p):], d); i >= 0 {
		return s[:len(p)+i+len(d)]
	}
	return ""
}

// wanted reports whether an entry (a key, or a directory whose keys all
// start with bound) can hold keys of this listing: inside Prefix, not all
// <= After, not under the last common prefix, not rolling up into a
// common prefix <= After.
func (l *lister) wanted(bound string, dir bool) bool {
	p, after := l.opts.Prefix, l.opts.After
	if dir {
		if !strings.HasPrefix(bound, p) && !strings.HasPrefix(p, bound) {
			return false
		}
		// All keys below are <= After when bound is, and is not a
		// prefix of After.
		if bound <= after && !strings.HasPrefix(after, bound) {
			return false
		}
	} else if !strings.HasPrefix(bound, p) || bound <= after {
		return false
	}
	if l.skip != "" && strings.HasPrefix(bound, l.skip) {
		return false
	}
	if cp := l.rollup(bound); cp != "" && cp <= after {
		return false
	}
	return true
}

// relTo returns s relative to bound, if s starts with bound.
func relTo(bound, s string) (rel string, inside bool) {
	if strings.HasPrefix(s, bound) {
		return s[len(bound):], true
	}
	return "", false
}

// push adds a cursor over directory path, whose keys start with bound,
// positioned at the first entry that can matter.
func (l *lister) push(path, bound string) error {
	v, err := l.b.readDir(l.bucket, path)
	if notExist(err) {
		return nil // pruned since its parent was read
	}
	if err != nil {
		return err
	}
	c := &cursor{path: path, bound: bound, ents: v.ents, dir: v.cd, snap: v.snap}
	if rel, ok := relTo(bound, l.opts.After); ok {
		c.seek(rel)
	}
	if rel, ok := relTo(bound, l.opts.Prefix); ok {
		c.seek(rel)
		c.stop, c.limit = rel, true
	}
	if !c.done() {
		heap.Push(&l.heap, c)
	}
	return nil
}

// next returns the next key or common prefix; ok is false at the end.
func (l *lister) next() (r listed, ok bool, err error) {
	for l.heap.Len() > 0 {
		c := l.heap[0]
		e := c.cur()
		bound := c.bound + e.frag
		if !l.wanted(bound, e.isDir()) {
			if rel, ok := relTo(c.bound, l.skip); ok && l.skip != "" && strings.HasPrefix(e.frag, rel) {
				c.skipPrefix(rel) // jump over the rest of the common prefix
			} else {
				c.i++
			}
			l.fix(c)
			continue
		}
		idx := c.i
		c.i++
		l.fix(c)
		path := c.path + "/" + e.name()
		if cp := l.rollup(bound); cp != "" {
			if e.isDir() {
				has, err := hasObject(path)
				if err != nil {
					return listed{}, false, err
				}
				if !has {
					continue
				}
			}
			l.skip = cp
			return listed{key: cp, cp: true}, true, nil
		}
		if e.isDir() {
			if err := l.push(path, bound); err != nil {
				return listed{}, false, err
			}
			continue
		}
		return listed{key: bound, path: path, dir: c.dir, snap: c.snap, idx: idx}, true, nil
	}
	return listed{}, false, nil
}

// fix restores the heap after the top cursor c moved.
func (l *lister) fix(c *cursor) {
	if c.done() {
		heap.Pop(&l.heap)
	} else {
		heap.Fix(&l.heap, 0)
	}
}

// List walks the objects tree in key order, starting at the deepest
// directory that holds every key with the prefix, and stops once the page
// is full and one more entry proves it truncated. A directory that rolls
// up into a common prefix is not read beyond its first head file.
func (b *Backend) List(ctx context.Context, bucket string, opts backend.ListOptions) (backend.ListPage, error) {
	if err := checkBucket(bucket); err != nil {
		return backend.ListPage{}, err
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 1000
	}
	if _, err := os.Stat(b.objectsDir(bucket)); err != nil {
		return backend.ListPage{}, b.notFound(bucket, err, nil, "list %s", bucket)
	}
	where := fmt.Sprintf("list %s prefix %q", bucket, opts.Prefix)
	l := &lister{b: b, bucket: bucket, opts: opts}
	elems, bound := prefixElems(opts.Prefix)
	start := b.objectsDir(bucket)
	for _, e := range elems {
		start += "/" + e
	}
	if err := l.push(start, bound); err != nil {
		return backend.ListPage{}, fmt.Errorf("%s: %w", where, err)
	}
	page := backend.ListPage{Objects: []backend.ObjectInfo{}, CommonPrefixes: []string{}}
	for end := false; !end && !page.IsTruncated; {
		if err := ctx.Err(); err != nil {
			return backend.ListPage{}, err
		}
		// The entries that can fill the page, and one more to prove it
		// truncated, at most listBatch at a time; their heads are read
		// together (listread.go).
		want := min(listBatch, opts.MaxKeys-len(page.Objects)-len(page.CommonPrefixes)+1)
		var batch []listed
		for len(batch) < want {
			r, ok, err := l.next()
			if err != nil {
				return backend.ListPage{}, fmt.Errorf("%s: %w", where, err)
			}
			if !ok {
				end = true
				break
			}
			batch = append(batch, r)
		}
		heads, err := b.readHeads(ctx, bucket, batch)
		if err != nil {
			return backend.ListPage{}, err
		}
		if err := b.addToPage(ctx, bucket, &page, opts.MaxKeys, batch, heads); err != nil {
			return backend.ListPage{}, fmt.Errorf("%s: %w", where, err)
		}
	}
	if !page.IsTruncated {
		page.NextAfter = ""
	}
	return page, nil
}

// addToPage adds a batch of listed entries to page in order, skipping
// heads deleted since their directory was read and damaged ones, and
// marks the page truncated at the first entry that does not fit.
func (b *Backend) addToPage(ctx context.Context, bucket string, page *backend.ListPage, maxKeys int, batch []listed, heads []headResult) error {
	for i, r := range batch {
		if !r.cp {
			h, err := heads[i].rec, heads[i].err
			if notExist(err) {
				continue // deleted since its directory was read
			}
			if damaged(err) {
				b.skipDamaged(ctx, "list "+bucket, r.path, err)
				continue
			}
			if err != nil {
				return err
			}
			if len(page.Objects)+len(page.CommonPrefixes) == maxKeys {
				page.IsTruncated = true
				return nil
			}
			page.Objects = append(page.Objects, infoOfShared(h, heads[i].shared))
		} else {
			if len(page.Objects)+len(page.CommonPrefixes) == maxKeys {
				page.IsTruncated = true
				return nil
			}
			page.CommonPrefixes = append(page.CommonPrefixes, r.key)
		}
		page.NextAfter = r.key
	}
	return nil
}
