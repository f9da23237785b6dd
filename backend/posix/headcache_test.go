package posix

import (
	"fmt"
	"os"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestHeadCache lists a large, aged directory twice and checks that the
// second listing takes its heads from the cache, that every change made
// through the backend (a replaced object, new metadata, a deletion) is
// seen at once, and that a caller changing a listed Meta map does not
// change the cache.
func TestHeadCache(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the racy window")
	}
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	for i := 0; i < 2000; i++ {
		if err := writeBenchHead(b, "bkt", fmt.Sprintf("big/k%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	dir := b.objectsDir("bkt") + "/dbig"
	age := func() {
		old := time.Now().Add(-time.Hour)
		os.Chtimes(dir, old, old)
		time.Sleep(racyWindow + 100*time.Millisecond)
	}
	age()
	list := func() map[string]backend.ObjectInfo {
		t.Helper()
		got := map[string]backend.ObjectInfo{}
		o := backend.ListOptions{Prefix: "big/", MaxKeys: 700}
		for {
			p, err := b.List(ctx, "bkt", o)
			if err != nil {
				t.Fatal(err)
			}
			for _, oi := range p.Objects {
				got[oi.Key] = oi
			}
			if !p.IsTruncated {
				return got
			}
			o.After = p.NextAfter
		}
	}
	first := list()
	if len(first) != 2000 || b.dirs.headBytes == 0 {
		t.Fatalf("listed %d keys, cached %d bytes of heads", len(first), b.dirs.headBytes)
	}
	// A caller's change to a listed map stays its own.
	first["big/k00001"].Meta["etag"] = "changed by the caller"

	// Damage a head in place, which the backend never does and which
	// leaves the directory's stamp as it was: a listing that still shows
	// the old head took it from the cache.
	if err := os.WriteFile(dir+"/ok00002", []byte("not a record"), 0o600); err != nil {
		t.Fatal(err)
	}
	second := list()
	if len(second) != 2000 || second["big/k00002"].Meta["etag"] != first["big/k00002"].Meta["etag"] {
		t.Fatalf("second listing: %d keys, k00002 %v: the heads were not taken from the cache", len(second), second["big/k00002"].Meta)
	}
	if second["big/k00001"].Meta["etag"] == "changed by the caller" {
		t.Fatal("a caller's change to a listed Meta reached the cache")
	}
	mustDelete := func(key string) {
		t.Helper()
		if err := b.Delete(ctx, "bkt", key); err != nil {
			t.Fatal(err)
		}
	}
	mustDelete("big/k00002") // the damaged one goes the ordinary way

	// Changes through the backend move the directory's stamp: each is
	// seen by the very next listing, also once the directory is cached
	// again.
	for round := 0; round < 2; round++ {
		key := fmt.Sprintf("big/k%05d", 10+round)
		mustPut(t, b, "bkt", key, []byte("new"), backend.Meta{"etag": "replaced"})
		setKey := fmt.Sprintf("big/k%05d", 20+round)
		if _, err := b.SetMeta(ctx, "bkt", setKey, backend.Meta{"etag": "new meta"}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		delKey := fmt.Sprintf("big/k%05d", 30+round)
		mustDelete(delKey)
		got := list()
		if got[key].Meta["etag"] != "replaced" || got[key].Size != 3 {
			t.Fatalf("round %d: replaced object listed as %+v", round, got[key])
		}
		if got[setKey].Meta["etag"] != "new meta" {
			t.Fatalf("round %d: SetMeta not seen: %+v", round, got[setKey])
		}
		if _, ok := got[delKey]; ok || len(got) != 1998-round {
			t.Fatalf("round %d: deleted key still listed (%d keys)", round, len(got))
		}
		age()
		list() // cache the directory and its heads again
	}
}

// TestHeadCacheBound keeps heads within the byte bound, taking them from
// the least recently used other directory, and keeps none with a
// negative bound.
func TestHeadCacheBound(t *testing.T) {
	c := newDirCache(1000, 2*(100+headOverhead)+2*8*10+50)
	ents := make([]dirEnt, 10)
	d1 := c.put("1", dirStamp{ino: 1}, ents, nil)
	d2 := c.put("2", dirStamp{ino: 2}, ents, nil)
	r := &record{}
	if !c.keepHead(d1, 0, r, 100) || !c.keepHead(d1, 1, r, 100) {
		t.Fatal("heads within the bound not kept")
	}
	c.get("2", dirStamp{ino: 2}) // d2 is now the most recently used
	if !c.keepHead(d2, 0, r, 100) {
		t.Fatal("a head within the bound not kept")
	}
	if c.cachedHead(d1, 0) != nil || c.cachedHead(d2, 0) != r {
		t.Fatal("the least recently used directory's heads were not the ones dropped")
	}
	if c.keepHead(d2, 1, r, 1<<20) || c.headBytes > c.maxHeadBytes {
		t.Fatalf("a head over the bound was kept (%d bytes of %d)", c.headBytes, c.maxHeadBytes)
	}
	none := newDirCache(1000, -1)
	d := none.put("1", dirStamp{ino: 1}, ents, nil)
	if none.keepHead(d, 0, r, 1) {
		t.Fatal("a negative bound kept a head")
	}
}
