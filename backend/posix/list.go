package posix

import (
	"container/heap"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"envelopegw/backend"
)

// An entry of the objects tree seen by List: a head file (bound is its
// key) or a directory (every key below it starts with bound).
type entry struct {
	bound string
	dir   bool
	path  string
}

// less orders entries so that a walk popping the least entry emits keys in
// byte-wise order: a directory's keys are all >= its bound, and a key
// equal to a bound (key "ab" beside the continuation directory "cab" that
// holds longer components starting with "ab") comes first.
func (e *entry) less(f *entry) bool {
	if e.bound != f.bound {
		return e.bound < f.bound
	}
	return !e.dir && f.dir
}

// cursor walks the sorted entries of one directory.
type cursor struct {
	ents []entry
	i    int
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return h[i].ents[h[i].i].less(&h[j].ents[h[j].i]) }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// lister is one List call: a merge of directory cursors that reads a
// directory only when its bound is the least one left, so a page costs the
// directories that hold its keys, not the bucket.
type lister struct {
	opts backend.ListOptions
	heap cursorHeap
	skip string // the last common prefix emitted: everything below it is done
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

// wanted reports whether an entry can hold keys of this page: inside
// Prefix, not all <= After, not under the last common prefix.
func (l *lister) wanted(e *entry) bool {
	p, after := l.opts.Prefix, l.opts.After
	if e.dir {
		if !strings.HasPrefix(e.bound, p) && !strings.HasPrefix(p, e.bound) {
			return false
		}
		// Every key below starts with bound: all of them are <= After
		// when bound is below After and not a prefix of it.
		if e.bound <= after && !strings.HasPrefix(after, e.bound) {
			return false
		}
	} else if !strings.HasPrefix(e.bound, p) || e.bound <= after {
		return false
	}
	if l.skip != "" && strings.HasPrefix(e.bound, l.skip) {
		return false
	}
	if cp := l.rollup(e.bound); cp != "" && cp <= after {
		return false // rolls up into a common prefix already returned
	}
	return true
}

// push reads directory dir (whose keys start with bound) and adds a cursor
// over the entries that can matter.
func (l *lister) push(dir, bound string) error {
	f, err := os.Open(dir)
	if notExist(err) {
		return nil // pruned since its parent was read
	}
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return err
	}
	ents := make([]entry, 0, len(names))
	for _, n := range names {
		if n == "" {
			continue
		}
		d, ok := decodeName(n[1:])
		if !ok {
			continue
		}
		var e entry
		switch n[0] {
		case tagObject:
			e = entry{bound: bound + d}
		case tagDir:
			e = entry{bound: bound + d + "/", dir: true}
		case tagContinue:
			e = entry{bound: bound + d, dir: true}
		default:
			continue
		}
		if !l.wanted(&e) {
			continue
		}
		e.path = filepath.Join(dir, n)
		ents = append(ents, e)
	}
	if len(ents) == 0 {
		return nil
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].less(&ents[j]) })
	heap.Push(&l.heap, &cursor{ents: ents})
	return nil
}

// next returns the next key (dir false) or common prefix (dir true) of
// the listing, with the head path for keys; ok is false at the end.
func (l *lister) next() (e entry, ok bool, err error) {
	for l.heap.Len() > 0 {
		c := l.heap[0]
		e := c.ents[c.i]
		c.i++
		if c.i == len(c.ents) {
			heap.Pop(&l.heap)
		} else {
			heap.Fix(&l.heap, 0)
		}
		if !l.wanted(&e) { // skip or After may have moved since the push
			continue
		}
		if cp := l.rollup(e.bound); cp != "" {
			if e.dir {
				has, err := hasObject(e.path)
				if err != nil {
					return entry{}, false, err
				}
				if !has {
					continue
				}
			}
			l.skip = cp
			return entry{bound: cp, dir: true}, true, nil
		}
		if e.dir {
			if err := l.push(e.path, e.bound); err != nil {
				return entry{}, false, err
			}
			continue
		}
		return e, true, nil
	}
	return entry{}, false, nil
}

// List walks the objects tree in key order, starting at the deepest
// directory that holds every key with the prefix, and stops once the page
// is full and one more entry proves it truncated. A directory that rolls
// up into a common prefix is never read beyond its first head file.
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
	l := &lister{opts: opts}
	elems, bound := prefixElems(opts.Prefix)
	start := filepath.Join(append([]string{b.objectsDir(bucket)}, elems...)...)
	if err := l.push(start, bound); err != nil {
		return backend.ListPage{}, fmt.Errorf("%s: %w", where, err)
	}
	page := backend.ListPage{Objects: []backend.ObjectInfo{}, CommonPrefixes: []string{}}
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return backend.ListPage{}, err
		}
		e, ok, err := l.next()
		if err != nil {
			return backend.ListPage{}, fmt.Errorf("%s: %w", where, err)
		}
		if !ok {
			break
		}
		if !e.dir {
			r, err := readRecord(e.path, kindHead)
			if notExist(err) {
				continue // deleted since its directory was read
			}
			if err != nil {
				return backend.ListPage{}, fmt.Errorf("%s: %w", where, err)
			}
			if n == opts.MaxKeys {
				page.IsTruncated = true
				break
			}
			page.Objects = append(page.Objects, infoOf(r))
		} else {
			if n == opts.MaxKeys {
				page.IsTruncated = true
				break
			}
			page.CommonPrefixes = append(page.CommonPrefixes, e.bound)
		}
		n++
		page.NextAfter = e.bound
	}
	if !page.IsTruncated {
		page.NextAfter = ""
	}
	return page, nil
}
