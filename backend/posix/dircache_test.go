package posix

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestDirCache lists a large directory through the cache and checks that
// every kind of change is seen: added, removed and replaced keys, and a
// change hidden by resetting the mtime (ctime still moves).
func TestDirCache(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the racy window")
	}
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	var keys []string
	for i := 0; i < 3000; i++ {
		k := fmt.Sprintf("big/k%05d", i)
		keys = append(keys, k)
		if err := writeBenchHead(b, "bkt", k); err != nil {
			t.Fatal(err)
		}
	}
	dir := b.objectsDir("bkt") + "/dbig"
	old := time.Now().Add(-time.Hour)
	os.Chtimes(dir, old, old)
	time.Sleep(racyWindow + 100*time.Millisecond)

	listAll := func() []string {
		t.Helper()
		var got []string
		o := backend.ListOptions{Prefix: "big/", MaxKeys: 700}
		for {
			p, err := b.List(ctx, "bkt", o)
			if err != nil {
				t.Fatal(err)
			}
			for _, oi := range p.Objects {
				got = append(got, oi.Key)
			}
			if !p.IsTruncated {
				return got
			}
			o.After = p.NextAfter
		}
	}
	check := func(what string) {
		t.Helper()
		want := slices.Clone(keys)
		slices.Sort(want)
		if got := listAll(); !slices.Equal(got, want) {
			t.Fatalf("%s: listed %d keys, want %d", what, len(got), len(want))
		}
	}
	check("first listing")
	if b.dirs.get(dir, stampOfPath(t, dir)) == nil {
		t.Fatal("an old, large directory was not cached")
	}
	check("cached listing")

	mustPut(t, b, "bkt", "big/added", nil, nil)
	keys = append(keys, "big/added")
	check("after an addition")

	// A change in the racy window is not cached.
	if b.dirs.get(dir, stampOfPath(t, dir)) != nil {
		t.Fatal("a directory changed just now was cached")
	}
	b.Delete(ctx, "bkt", "big/k00042")
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "big/k00042" })
	os.Chtimes(dir, old, old) // hide the change from mtime
	check("after a deletion with mtime reset")
}

func stampOfPath(t *testing.T, p string) dirStamp {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return stampOf(fi)
}

func TestDirCacheBound(t *testing.T) {
	c := newDirCache(100, defaultHeadCacheBytes)
	ents := make([]dirEnt, 40)
	for i := 0; i < 5; i++ {
		c.put(fmt.Sprint(i), dirStamp{ino: int64(i)}, ents, nil)
	}
	if c.total > 100 || len(c.m) != 2 {
		t.Fatalf("cache holds %d entries in %d directories", c.total, len(c.m))
	}
	if c.get("4", dirStamp{ino: 4}) == nil || c.get("0", dirStamp{ino: 0}) != nil {
		t.Fatal("eviction is not least recently used")
	}
	if c.get("4", dirStamp{ino: 5}) != nil || len(c.m) != 1 {
		t.Fatal("a changed stamp did not invalidate")
	}
}

// TestCachedListingMatches lists a store of random keys with large, aged
// (hence cached) directories, through the cache and without it, for many
// random options; the results must be identical page by page.
func TestCachedListingMatches(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the racy window")
	}
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "b", "-", ".", "/", "%", "é", "0", "1", "~", " ", strings.Repeat("x", 210)}
	var keys []string
	for len(keys) < 6000 {
		var sb strings.Builder
		sb.WriteString([]string{"", "d/", "d/e/"}[r.IntN(3)])
		for n := 1 + r.IntN(6); n > 0; n-- {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		k := sb.String()
		if checkKey("bkt", k) == nil {
			keys = append(keys, k)
			if err := writeBenchHead(b, "bkt", k); err != nil {
				t.Fatal(err)
			}
		}
	}
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(b.objectsDir("bkt"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	time.Sleep(racyWindow + 100*time.Millisecond)
	nc := *b
	nc.dirs = nil
	for i := 0; i < 150; i++ {
		o := backend.ListOptions{MaxKeys: 1 + r.IntN(200)}
		k := keys[r.IntN(len(keys))]
		switch r.IntN(3) {
		case 0:
			o.Prefix = strings.ToValidUTF8(k[:r.IntN(len(k)+1)], "")
		case 1:
			o.After = k
		}
		o.Delimiter = []string{"", "/", "-", "a", "x/"}[r.IntN(5)]
		for pages := 0; ; pages++ {
			p1, err1 := b.List(ctx, "bkt", o)
			p2, err2 := nc.List(ctx, "bkt", o)
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !samePage(p1, p2) {
				t.Fatalf("List(%+v) page %d differs with the cache:\n%v\n%v", o, pages, pageKeys(p1), pageKeys(p2))
			}
			if !p1.IsTruncated || pages == 10 {
				break
			}
			o.After = p1.NextAfter
		}
	}
	if len(b.dirs.m) == 0 {
		t.Fatal("nothing was cached")
	}
}

func pageKeys(p backend.ListPage) []string {
	var ks []string
	for _, o := range p.Objects {
		ks = append(ks, o.Key)
	}
	return append(ks, p.CommonPrefixes...)
}

func samePage(a, b backend.ListPage) bool {
	return slices.Equal(pageKeys(a), pageKeys(b)) && len(a.Objects) == len(b.Objects) &&
		a.IsTruncated == b.IsTruncated && a.NextAfter == b.NextAfter
}
