package s3

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"envelopegw/backend"
)

// entry is one listed record: the key it belongs to, the upload ID for
// upload records, and its upstream name relative to the key space.
type entry struct {
	key, id, name string
	size          int64
}

// walker lists a key space in key order. Names are ordered like their
// keys except inside a group of long keys (see names.go), whose members
// resolve reads and sorts. fn returns a StartAfter to seek to (past a
// common prefix), or stop.
type walker struct {
	b       *Backend
	space   string
	split   func(n string) (keyPart, id string, ok bool)
	resolve func(e *entry) (ok bool, err error) // fills e.key of a group member
	fn      func(e entry) (seek string, stop bool)
}

func (w *walker) run(ctx context.Context, startAfter string) error {
	sa := startAfter
	for {
		seek, stop, err := w.pass(ctx, sa)
		if err != nil || stop || seek == "" {
			return err
		}
		sa = seek
	}
}

// pass lists from sa until the end, a stop or a seek.
func (w *walker) pass(ctx context.Context, sa string) (seek string, stop bool, err error) {
	var group []entry
	groupBase := ""
	deliver := func(e entry) bool {
		seek, stop = w.fn(e)
		return seek == "" && !stop
	}
	flush := func() bool {
		sort.Slice(group, func(i, j int) bool {
			if group[i].key != group[j].key {
				return group[i].key < group[j].key
			}
			return group[i].id < group[j].id
		})
		g := group
		group, groupBase = nil, ""
		for _, e := range g {
			if !deliver(e) {
				return false
			}
		}
		return true
	}
	var ierr error
	err = w.b.names(ctx, w.space, sa, func(n string, size int64) bool {
		kp, id, ok := w.split(n)
		if !ok {
			return true
		}
		e := entry{id: id, name: n, size: size}
		flat := unchunk(kp)
		if i := strings.Index(flat, groupSep); i >= 0 {
			if base := flat[:i]; base != groupBase {
				if !flush() {
					return false
				}
				groupBase = base
			}
			ok, err := w.resolve(&e)
			if err != nil {
				ierr = err
				return false
			}
			if ok {
				group = append(group, e)
			}
			return true
		}
		if !flush() {
			return false
		}
		key, _, err := decodeName(kp)
		if err != nil {
			return true // not ours
		}
		e.key = key
		return deliver(e)
	})
	if err == nil {
		err = ierr
	}
	if err == nil && seek == "" && !stop {
		flush()
	}
	return seek, stop, err
}

// seekPast returns the StartAfter that skips every key starting with p,
// or "" if p is too long to be named.
func seekPast(p, suffix string) string {
	n, ok := prefixName(p)
	if !ok {
		return ""
	}
	return pastPrefix(n) + suffix
}

// startName is the StartAfter for keys after a (or "" for all).
func startName(a string) string {
	if a == "" {
		return ""
	}
	if len(a) > groupLen {
		n, _ := prefixName(a[:groupLen])
		return n
	}
	return keyName(a)
}

func (b *Backend) List(ctx context.Context, bucket string, opts backend.ListOptions) (backend.ListPage, error) {
	gen, err := b.gen(ctx, bucket)
	if err != nil {
		return backend.ListPage{}, err
	}
	max := opts.MaxKeys
	if max <= 0 {
		max = 1000
	}
	var page backend.ListPage
	heads := map[string]head{}
	versions := map[string]string{}
	np, _ := prefixName(opts.Prefix)
	// Walk the index (index.go), not the heads, which a replace rewrites.
	space, heads0 := b.space("i", bucket, gen), b.space("k", bucket, gen)
	readHead := func(name string) (head, bool, error) {
		if h, ok := heads[name]; ok {
			return h, true, nil
		}
		var h head
		etag, size, found, err := b.getJSON(ctx, heads0+np+name, &h)
		if errors.Is(err, errUndecodable) {
			b.skipDamaged(ctx, "head", bucket, heads0+np+name, "")
			return h, false, nil
		}
		if err != nil || !found || size == 0 {
			return h, false, err
		}
		heads[name], versions[name] = h, etag
		return h, true, nil
	}
	lastCP := ""
	w := &walker{b: b, space: space + np,
		split: func(n string) (string, string, bool) { return np + n, "", true },
		resolve: func(e *entry) (bool, error) {
			h, ok, err := readHead(e.name)
			e.key = h.Key
			return ok, err
		},
	}
	var ferr error
	w.fn = func(e entry) (string, bool) {
		if !strings.HasPrefix(e.key, opts.Prefix) || e.key <= opts.After {
			return "", false
		}
		if opts.Delimiter != "" {
			rest := e.key[len(opts.Prefix):]
			if i := strings.Index(rest, opts.Delimiter); i >= 0 {
				cp := opts.Prefix + rest[:i+len(opts.Delimiter)]
				if cp <= opts.After || cp == lastCP {
					return seekRel(cp, np), false
				}
				if len(page.Objects)+len(page.CommonPrefixes) == max {
					page.IsTruncated = true
					return "", true
				}
				page.CommonPrefixes = append(page.CommonPrefixes, cp)
				lastCP, page.NextAfter = cp, cp
				return seekRel(cp, np), false
			}
		}
		if len(page.Objects)+len(page.CommonPrefixes) == max {
			page.IsTruncated = true
			return "", true
		}
		h, ok, err := readHead(e.name)
		if err != nil {
			ferr = err
			return "", true
		}
		if !ok {
			return "", false // deleted meanwhile
		}
		if h.Key != e.key {
			b.skipDamaged(ctx, "head", bucket, heads0+np+e.name, h.Key)
			return "", false
		}
		page.Objects = append(page.Objects, h.info(versions[e.name]))
		page.NextAfter = e.key
		return "", false
	}
	sa := relStart(startName(opts.After), np)
	if err := w.run(ctx, sa); err != nil {
		return backend.ListPage{}, err
	}
	if ferr != nil {
		return backend.ListPage{}, ferr
	}
	if !page.IsTruncated {
		page.NextAfter = ""
	}
	return page, nil
}

// seekRel is seekPast relative to the listed name prefix np.
func seekRel(cp, np string) string {
	s := seekPast(cp, "")
	if s == "" || !strings.HasPrefix(s, np) {
		return ""
	}
	return strings.TrimPrefix(s, np)
}

func (b *Backend) ListUploads(ctx context.Context, bucket string, opts backend.UploadListOptions) (backend.UploadPage, error) {
	gen, err := b.gen(ctx, bucket)
	if err != nil {
		return backend.UploadPage{}, err
	}
	if opts.KeyMarker != "" && opts.UploadIDMarker != "" && !validUploadID(opts.UploadIDMarker) {
		return backend.UploadPage{}, fmt.Errorf("list uploads of %s: %q: %w", bucket, opts.UploadIDMarker, backend.ErrInvalidUploadIDMarker)
	}
	max := opts.MaxUploads
	if max <= 0 {
		max = 1000
	}
	var page backend.UploadPage
	np, _ := prefixName(opts.Prefix)
	// Walk the upload index (uploadindex.go), not the records, which a
	// Complete or an Abort rewrites.
	idx, space := b.space("ui", bucket, gen), b.space("u", bucket, gen)
	recs := map[string]uploadRecord{}
	read := func(name string) (uploadRecord, bool, error) {
		if r, ok := recs[name]; ok {
			return r, true, nil
		}
		var r uploadRecord
		_, _, found, err := b.getJSON(ctx, space+np+name, &r)
		if errors.Is(err, errUndecodable) {
			b.skipDamaged(ctx, "upload", bucket, space+np+name, "")
			return r, false, nil
		}
		if err != nil || !found || r.State == "aborted" {
			return r, false, err
		}
		recs[name] = r
		return r, true, nil
	}
	after := func(key, id string) bool {
		if key != opts.KeyMarker {
			return key > opts.KeyMarker
		}
		return opts.UploadIDMarker != "" && id > opts.UploadIDMarker
	}
	lastCP := ""
	var ferr error
	w := &walker{b: b, space: idx + np,
		split: func(n string) (string, string, bool) { return uploadKeyID(np + n) },
		resolve: func(e *entry) (bool, error) {
			r, ok, err := read(e.name)
			e.key = r.Key
			return ok, err
		},
	}
	w.fn = func(e entry) (string, bool) {
		if !strings.HasPrefix(e.key, opts.Prefix) || !after(e.key, e.id) {
			return "", false
		}
		if opts.Delimiter != "" {
			rest := e.key[len(opts.Prefix):]
			if i := strings.Index(rest, opts.Delimiter); i >= 0 {
				cp := opts.Prefix + rest[:i+len(opts.Delimiter)]
				if cp <= opts.KeyMarker || cp == lastCP {
					return seekRel(cp, np), false
				}
				if len(page.Uploads)+len(page.CommonPrefixes) == max {
					page.IsTruncated = true
					return "", true
				}
				page.CommonPrefixes = append(page.CommonPrefixes, cp)
				lastCP, page.NextKeyMarker, page.NextUploadIDMarker = cp, cp, ""
				return seekRel(cp, np), false
			}
		}
		if len(page.Uploads)+len(page.CommonPrefixes) == max {
			page.IsTruncated = true
			return "", true
		}
		r, ok, err := read(e.name)
		if err != nil {
			ferr = err
			return "", true
		}
		if !ok {
			return "", false // retired meanwhile
		}
		if r.Key != e.key {
			b.skipDamaged(ctx, "upload", bucket, space+np+e.name, r.Key)
			return "", false
		}
		page.Uploads = append(page.Uploads, backend.Upload{Bucket: bucket, Key: r.Key, UploadID: e.id, Initiated: r.Initiated, Meta: backend.Meta(r.Meta).Clone()})
		page.NextKeyMarker, page.NextUploadIDMarker = r.Key, e.id
		return "", false
	}
	sa := ""
	if opts.KeyMarker != "" {
		// Start at the marker key's own uploads: its ID filter is in fn.
		s := startName(opts.KeyMarker)
		if len(opts.KeyMarker) <= groupLen {
			s += "!" // before every upload of that key
		}
		sa = relStart(s, np)
	}
	if err := w.run(ctx, sa); err != nil {
		return backend.UploadPage{}, err
	}
	if ferr != nil {
		return backend.UploadPage{}, ferr
	}
	if !page.IsTruncated {
		page.NextKeyMarker, page.NextUploadIDMarker = "", ""
	}
	return page, nil
}

// relStart makes an absolute StartAfter name s relative to the listed
// name prefix np: "" if s sorts before every name under np, and a name
// past all of them if s sorts after.
func relStart(s, np string) string {
	switch {
	case strings.HasPrefix(s, np):
		return s[len(np):]
	case s < np:
		return ""
	default:
		return "~~~~"
	}
}
