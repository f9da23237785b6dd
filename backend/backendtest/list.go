package backendtest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"envelopegw/backend"
)

// refPage is the reference listing: keys filtered, rolled up and paged
// exactly as the backend contract says, computed from a sorted slice.
func refPage(keys []string, o backend.ListOptions) (objs, cps []string, truncated bool, next string) {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	max := o.MaxKeys
	if max <= 0 {
		max = 1000
	}
	n := 0
	for _, k := range sorted {
		if !strings.HasPrefix(k, o.Prefix) || k <= o.After {
			continue
		}
		item, isCP := k, false
		if o.Delimiter != "" {
			if i := strings.Index(k[len(o.Prefix):], o.Delimiter); i >= 0 {
				item, isCP = k[:len(o.Prefix)+i+len(o.Delimiter)], true
			}
		}
		if isCP && (item <= o.After || len(cps) > 0 && cps[len(cps)-1] == item) {
			continue
		}
		if n == max {
			return objs, cps, true, next
		}
		n++
		if isCP {
			cps = append(cps, item)
		} else {
			objs = append(objs, item)
		}
		next = item
	}
	return objs, cps, false, ""
}

// assertListing compares one page of List with the reference.
func assertListing(t *testing.T, b backend.Backend, bucket string, keys []string, o backend.ListOptions) backend.ListPage {
	t.Helper()
	page, err := b.List(ctx, bucket, o)
	if err != nil {
		t.Fatalf("List(%s): %v", fmtOpts(o), err)
	}
	objs, cps, trunc, next := refPage(keys, o)
	got := make([]string, len(page.Objects))
	for i, oi := range page.Objects {
		got[i] = oi.Key
	}
	if !slices.Equal(got, objs) || !slices.Equal(page.CommonPrefixes, cps) ||
		page.IsTruncated != trunc || trunc && page.NextAfter != next {
		t.Fatalf("List(%s):\n got objects %q\n    prefixes %q truncated %v next %q\nwant objects %q\n    prefixes %q truncated %v next %q",
			fmtOpts(o), got, page.CommonPrefixes, page.IsTruncated, page.NextAfter, objs, cps, trunc, next)
	}
	return page
}

// assertAllPages pages through a listing with NextAfter and compares every
// page with the reference.
func assertAllPages(t *testing.T, b backend.Backend, bucket string, keys []string, o backend.ListOptions) int {
	t.Helper()
	pages := 0
	for {
		page := assertListing(t, b, bucket, keys, o)
		pages++
		if !page.IsTruncated {
			return pages
		}
		if pages > len(keys)+2 {
			t.Fatalf("List(%s) does not end", fmtOpts(o))
		}
		o.After = page.NextAfter
	}
}

// putKeys writes each key with itself as content, several at a time (a
// store must take concurrent writers, and durable commits are slow).
func putKeys(t *testing.T, b backend.Backend, bucket string, keys []string) {
	t.Helper()
	work := make(chan string)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				w, err := b.NewObject(ctx, bucket, k)
				if err == nil {
					_, err = w.Write([]byte(k))
					if err == nil {
						_, err = w.Commit(nil)
					}
					w.Abort()
				}
				if err != nil {
					select {
					case errs <- fmt.Errorf("put %q: %w", k, err):
					default:
					}
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func testListBasic(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	page, err := b.List(ctx, "bkt", backend.ListOptions{})
	noErr(t, "List of an empty bucket", err)
	if len(page.Objects)+len(page.CommonPrefixes) != 0 || page.IsTruncated {
		t.Fatalf("empty bucket lists %+v", page)
	}
	keys := []string{
		"a", "a-b", "a/b", "a/b/c", "a/c", "a0", "a//x", "b", "b/", "b/a", "c/d/e/f",
		"photos/2024/jan.jpg", "photos/2024/feb.jpg", "photos/2025/x.jpg", "photos/index",
	}
	putKeys(t, b, "bkt", keys)
	for _, o := range []backend.ListOptions{
		{},
		{Delimiter: "/"},
		{Prefix: "a"},
		{Prefix: "a", Delimiter: "/"},
		{Prefix: "a/", Delimiter: "/"},
		{Prefix: "a/b", Delimiter: "/"},
		{Prefix: "photos/", Delimiter: "/"},
		{Prefix: "photos/2024/", Delimiter: "/"},
		{Prefix: "photos/20", Delimiter: "/"},
		{Prefix: "b/"},
		{Prefix: "zzz"},
		{Prefix: "a/b/c/d"},
		{Delimiter: "b"},
		{Delimiter: "/2024/"},
		{Prefix: "photos", Delimiter: "2"},
		{Delimiter: "a/"},
		{After: "a/b"},
		{After: "a/", Delimiter: "/"},
		{After: "a", Delimiter: "/"},
		{After: "photos/", Delimiter: "/"},
		{After: "photos/2024/", Prefix: "photos/", Delimiter: "/"},
		{After: "zzzz"},
		{MaxKeys: 3},
		{MaxKeys: 1, Delimiter: "/"},
		{MaxKeys: 2, Prefix: "photos/", Delimiter: "/"},
	} {
		assertListing(t, b, "bkt", keys, o)
	}
}

func testListPagination(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	var keys []string
	for _, d := range []string{"", "a/", "a/b/", "b/", "c/x/y/"} {
		for i := 0; i < 7; i++ {
			keys = append(keys, fmt.Sprintf("%sk%d", d, i))
		}
	}
	keys = append(keys, "a", "b", "a-", "b0")
	putKeys(t, b, "bkt", keys)
	for max := 1; max <= 8; max++ {
		for _, o := range []backend.ListOptions{
			{MaxKeys: max},
			{MaxKeys: max, Delimiter: "/"},
			{MaxKeys: max, Prefix: "a/", Delimiter: "/"},
			{MaxKeys: max, Prefix: "c/", Delimiter: "/"},
			{MaxKeys: max, Prefix: "c/", Delimiter: "y"},
		} {
			assertAllPages(t, b, "bkt", keys, o)
		}
	}
	// Resuming after a common prefix skips everything under it.
	page, err := b.List(ctx, "bkt", backend.ListOptions{Delimiter: "/", After: "a/"})
	noErr(t, "List", err)
	for _, oi := range page.Objects {
		if strings.HasPrefix(oi.Key, "a/") {
			t.Fatalf("List after common prefix a/ returned %q", oi.Key)
		}
	}
	if len(page.CommonPrefixes) == 0 || page.CommonPrefixes[0] != "b/" {
		t.Fatalf("List after common prefix a/ returned prefixes %q", page.CommonPrefixes)
	}
}

// randomKey builds keys from pieces that stress key-to-name mappings and
// byte ordering: separators, dots, escapes, characters on both sides of
// '/' (0x2f), multibyte runes, and long components.
func randomKey(r *rand.Rand) string {
	pieces := []string{
		"a", "b", "ab", "/", "/", "/", "//", ".", "..", "%", "%2f", " ", "-", "!", "0", "~",
		"é", "日本", "🦀", "\t", "\x7f", "A", "Z", "_", "+", "=",
	}
	var sb strings.Builder
	n := 1 + r.IntN(8)
	for i := 0; i < n; i++ {
		if r.IntN(40) == 0 {
			sb.WriteString(strings.Repeat(pieces[r.IntN(len(pieces))], 100+r.IntN(200)))
		} else {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
	}
	k := sb.String()
	for len(k) > 1024 || !utf8.ValidString(k) {
		k = k[:len(k)-1]
	}
	return k
}

func testListRandomKeys(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	r := rand.New(rand.NewPCG(1, 2))
	n := 400
	if testing.Short() {
		n = 120
	}
	var keys []string
	for len(keys) < n {
		keys = append(keys, randomKey(r))
	}
	putKeys(t, b, "bkt", keys)
	for _, k := range keys[:20] {
		mustGet(t, b, "bkt", k, []byte(k))
	}
	var opts []backend.ListOptions
	for _, d := range []string{"", "/", "a", "..", "//", "é", "ab"} {
		opts = append(opts, backend.ListOptions{Delimiter: d})
		for i := 0; i < 6; i++ {
			k := keys[r.IntN(len(keys))]
			p := k[:r.IntN(len(k)+1)]
			for !utf8.ValidString(p) {
				p = p[:len(p)-1]
			}
			opts = append(opts,
				backend.ListOptions{Prefix: p, Delimiter: d},
				backend.ListOptions{Prefix: p, Delimiter: d, MaxKeys: 1 + r.IntN(20)},
				backend.ListOptions{Delimiter: d, After: k, MaxKeys: 1 + r.IntN(50)})
		}
	}
	for _, o := range opts {
		assertAllPages(t, b, "bkt", keys, o)
	}
	// Delete half and compare again: emptied directories must not leave
	// phantom prefixes behind. Random keys repeat; a repeat is deleted once.
	deleted := make(map[string]bool)
	for i, k := range keys {
		if i%2 == 0 && !deleted[k] {
			noErr(t, "Delete", b.Delete(ctx, "bkt", k))
			deleted[k] = true
		}
	}
	var live []string
	for _, k := range keys {
		if !deleted[k] {
			live = append(live, k)
		}
	}
	for _, o := range opts[:len(opts)/2] {
		assertAllPages(t, b, "bkt", live, o)
	}
}

func testListDefaults(t *testing.T, b backend.Backend) {
	if testing.Short() {
		t.Skip("writes 1001 objects")
	}
	mkBucket(t, b, "bkt")
	var keys []string
	for i := 0; i < 1001; i++ {
		keys = append(keys, fmt.Sprintf("k%04d", i))
	}
	putKeys(t, b, "bkt", keys)
	page := assertListing(t, b, "bkt", keys, backend.ListOptions{})
	if len(page.Objects) != 1000 || !page.IsTruncated || page.NextAfter != "k0999" {
		t.Fatalf("MaxKeys 0 returned %d objects, truncated %v, next %q", len(page.Objects), page.IsTruncated, page.NextAfter)
	}
	assertListing(t, b, "bkt", keys, backend.ListOptions{MaxKeys: -1, After: page.NextAfter})
}

func fmtOpts(o backend.ListOptions) string {
	return fmt.Sprintf("Prefix %q Delimiter %q After %q MaxKeys %d", o.Prefix, o.Delimiter, o.After, o.MaxKeys)
}
