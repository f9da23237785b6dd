package posix

import (
	"fmt"
	"os"
	"slices"
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
	c := newDirCache(100)
	ents := make([]dirEnt, 40)
	for i := 0; i < 5; i++ {
		c.put(fmt.Sprint(i), dirStamp{ino: int64(i)}, ents)
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
