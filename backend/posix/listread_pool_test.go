package posix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"envelopegw/backend"
)

// The concurrent head reads of a page (listread.go): key order whatever
// order the reads finish in, a bounded number in flight, an error that
// ends the page stopping the reads after it, and cancellation stopping
// the reads not yet started.

// poolBucket makes a bucket of n keys "d/k000".."d/kNNN", key i holding
// i+1 bytes, so a listed size tells which head it came from.
func poolBucket(t *testing.T, n int) (*Backend, []string) {
	t.Helper()
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("d/k%03d", i)
		mustPut(t, b, "bkt", keys[i], make([]byte, i+1), nil)
	}
	return b, keys
}

// setHook installs f as testHook for the "list read head" point, with the
// head's key index (keys "d/kNNN"), for the rest of the test.
func setHook(t *testing.T, f func(i int)) {
	t.Helper()
	testHook = func(p string) {
		rest, ok := strings.CutPrefix(p, "list read head ")
		if !ok {
			return
		}
		var i int
		if _, err := fmt.Sscanf(rest[strings.LastIndex(rest, "/ok")+3:], "%d", &i); err != nil {
			panic(fmt.Sprintf("hook: head path %q: %v", rest, err))
		}
		f(i)
	}
	t.Cleanup(func() { testHook = nil })
}

// The first reads of the page are made the slowest, so the reads finish
// in an order far from key order; the page must still be in key order,
// each key with its own head, and the reads must overlap without ever
// exceeding listWorkers.
func TestListHeadReadsKeyOrderAndBound(t *testing.T) {
	b, keys := poolBucket(t, 200)
	var inFlight, most atomic.Int64
	setHook(t, func(i int) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if i < 64 {
			time.Sleep(time.Duration(64-i) * 100 * time.Microsecond)
		}
	})
	p, err := b.List(ctx, "bkt", backend.ListOptions{MaxKeys: 150})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objects) != 150 || !p.IsTruncated || p.NextAfter != keys[149] {
		t.Fatalf("page of %d, truncated %v, next %q", len(p.Objects), p.IsTruncated, p.NextAfter)
	}
	for i, o := range p.Objects {
		if o.Key != keys[i] || o.Size != int64(i+1) {
			t.Fatalf("entry %d: key %q size %d, want %q size %d", i, o.Key, o.Size, keys[i], i+1)
		}
	}
	if m := most.Load(); m < 2 || m > int64(listWorkers) {
		t.Errorf("%d head reads in flight at most, want 2..%d", m, listWorkers)
	}
}

// A head that cannot be read (a directory where the head file should be:
// EISDIR, neither deleted nor damaged) fails the page with an error that
// names it and keeps its cause; the reads after it stop, and pages that
// do not reach it (nor need it to prove truncation) are unaffected.
func TestListHeadReadErrorEndsPage(t *testing.T) {
	b, keys := poolBucket(t, 200)
	bad := b.headPath("bkt", keys[50])
	if err := os.Remove(bad); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(bad, 0o700); err != nil {
		t.Fatal(err)
	}
	var after atomic.Int64
	setHook(t, func(i int) {
		if i > 50 {
			after.Add(1)
			time.Sleep(time.Millisecond)
		}
	})
	_, err := b.List(ctx, "bkt", backend.ListOptions{})
	if !errors.Is(err, syscall.EISDIR) || !strings.Contains(err.Error(), bad) {
		t.Fatalf("List over an unreadable head: %v, want EISDIR naming %s", err, bad)
	}
	// Reads claimed before the failure was seen may run; no more.
	if n := after.Load(); n > int64(2*listWorkers) {
		t.Errorf("%d heads after the failed one were read, want at most %d", n, 2*listWorkers)
	}
	for _, o := range []backend.ListOptions{{MaxKeys: 49}, {After: keys[50]}} {
		p, err := b.List(ctx, "bkt", o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if len(p.Objects) == 0 || p.Objects[0].Key == keys[50] {
			t.Fatalf("%+v: page %v", o, p.Objects)
		}
	}
}

// Canceling the request while a page's heads are read stops the reads not
// yet started and fails the page with the context's error.
func TestListCanceledDuringHeadReads(t *testing.T) {
	b, _ := poolBucket(t, 300)
	c, cancel := context.WithCancel(ctx)
	defer cancel()
	var reads atomic.Int64
	var once sync.Once
	setHook(t, func(int) {
		if reads.Add(1) == 20 {
			once.Do(cancel)
		}
		time.Sleep(100 * time.Microsecond)
	})
	_, err := b.List(c, "bkt", backend.ListOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("List canceled during its head reads: %v, want context.Canceled", err)
	}
	// The reads already claimed when the cancel came may finish.
	if n := reads.Load(); n > int64(20+listWorkers) {
		t.Errorf("%d heads read, want at most %d after a cancel at the 20th", n, 20+listWorkers)
	}
}

// Listing reads heads without updating their access times: under relatime
// the first read of a file written since its last access would otherwise
// dirty its inode, one inode write per key listed.
func TestListLeavesAccessTimes(t *testing.T) {
	b, keys := poolBucket(t, 40)
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	atime := func(p string) time.Time {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		return time.Unix(st.Atim.Unix())
	}
	age := func(p string) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, fi.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	probe := filepath.Join(b.root, "probe")
	if err := os.WriteFile(probe, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	age(probe)
	if _, err := os.ReadFile(probe); err != nil {
		t.Fatal(err)
	}
	if atime(probe).Equal(old) {
		t.Skip("this filesystem does not update access times on read")
	}
	for _, k := range keys {
		age(b.headPath("bkt", k))
	}
	for _, max := range []int{3, 1000} { // read in the caller's goroutine, then by the workers
		if _, err := b.List(ctx, "bkt", backend.ListOptions{MaxKeys: max}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		if a := atime(b.headPath("bkt", k)); !a.Equal(old) {
			t.Errorf("%s: listing moved its access time to %v", k, a)
		}
	}
}
