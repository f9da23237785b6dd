package posix

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"envelopegw/backend"
)

// putLegacy writes bucket/key the way versions before inline heads did: a
// data file and a head record naming it. Volumes written then must stay
// readable and writable.
func putLegacy(t testing.TB, b *Backend, bucket, key string, data []byte) {
	t.Helper()
	id := newID()
	p := b.dataPath(bucket, id)
	head := b.headPath(bucket, key)
	r := &record{Kind: kindHead, Key: key, Time: time.Now(), Extents: []extent{{ID: id, Size: int64(len(data))}}, Meta: backend.Meta{"v": "old"}}
	for _, f := range []struct {
		path string
		data []byte
	}{{p, data}, {head, r.marshal()}} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func readRange(t *testing.T, b *Backend, key string, off, n int) []byte {
	t.Helper()
	o, err := b.Open(ctx, "bkt", key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	buf := make([]byte, n)
	m, err := o.ReadAt(buf, int64(off))
	if err != nil && err != io.EOF {
		t.Fatalf("ReadAt(%s, %d) = %d, %v", key, off, m, err)
	}
	return buf[:m]
}

// TestInlineAndLegacyHeads: a single PUT is one file in objects/; heads of
// the old layout read, list, change metadata, and get replaced and
// deleted as before; SetMeta on an inline object links its data into
// data/ and copies nothing.
func TestInlineAndLegacyHeads(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	data := bytes.Repeat([]byte("0123456789"), 1000)
	putLegacy(t, b, "bkt", "old", data)
	mustPut(t, b, "bkt", "new", data, backend.Meta{"v": "new"})
	if n := dataFiles(t, b, "bkt"); n != 1 {
		t.Fatalf("%d data files, want the legacy object's only", n)
	}
	for _, k := range []string{"old", "new"} {
		if got := mustRead(t, b, "bkt", k); !bytes.Equal(got, data) {
			t.Fatalf("%s reads %d bytes", k, len(got))
		}
		if got := readRange(t, b, k, 9995, 10); string(got) != "56789" {
			t.Fatalf("%s: range at the end = %q", k, got)
		}
	}
	if got := listKeys(t, b, "bkt", backend.ListOptions{}); len(got) != 2 {
		t.Fatalf("List = %q", got)
	}
	p, err := b.List(ctx, "bkt", backend.ListOptions{})
	if err != nil || p.Objects[0].Size != int64(len(data)) || p.Objects[0].Meta["v"] != "new" {
		t.Fatalf("List = %+v, %v", p.Objects, err)
	}

	// SetMeta on the inline object: one data file more, its inode the head's.
	before, _ := os.Stat(b.headPath("bkt", "new"))
	info, err := b.SetMeta(ctx, "bkt", "new", backend.Meta{"v": "meta"}, time.Time{})
	if err != nil || info.Size != int64(len(data)) {
		t.Fatalf("SetMeta = %+v, %v", info, err)
	}
	if n := dataFiles(t, b, "bkt"); n != 2 {
		t.Fatalf("%d data files after SetMeta, want 2", n)
	}
	r, err := readRecord(b.headPath("bkt", "new"), kindHead)
	if err != nil || r.inline || len(r.Extents) != 1 || r.Extents[0].Off != inlineDataOff {
		t.Fatalf("head after SetMeta = %+v, %v", r, err)
	}
	after, _ := os.Stat(b.dataPath("bkt", r.Extents[0].ID))
	if !os.SameFile(before, after) {
		t.Fatal("SetMeta copied the inline data instead of linking it")
	}
	if got := readRange(t, b, "new", 1, 9); string(got) != "123456789" {
		t.Fatalf("range after SetMeta = %q", got)
	}
	if tmp := tmpFiles(t, b, "bkt"); len(tmp) != 0 {
		t.Fatalf("tmp holds %q after SetMeta", tmp)
	}
	if _, err := b.SetMeta(ctx, "bkt", "old", backend.Meta{"v": "m2"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Replacing and deleting leave no data file behind.
	mustPut(t, b, "bkt", "old", []byte("x"), nil)
	if err := b.Delete(ctx, "bkt", "new"); err != nil {
		t.Fatal(err)
	}
	if n := dataFiles(t, b, "bkt"); n != 0 {
		t.Fatalf("%d data files after replace and delete", n)
	}
	if st, err := b.Sweep(ctx, 0); err != nil || st.Orphan != 0 || st.Temp != 0 {
		t.Fatalf("Sweep = %+v, %v", st, err)
	}
}

// TestInlineHeaderDamage: a damaged inline header or trailer record is a
// damaged head (its key only), not an I/O error or a huge read.
func TestInlineHeaderDamage(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "h", []byte("some data"), nil)
	mustPut(t, b, "bkt", "r", []byte("some data"), nil)
	mustPut(t, b, "bkt", "ok", []byte("some data"), nil)
	flip := func(key string, at int64) {
		p := b.headPath("bkt", key)
		fi, _ := os.Stat(p)
		if at < 0 {
			at += fi.Size()
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c := []byte{0}
		f.ReadAt(c, at)
		c[0] ^= 0x40
		f.WriteAt(c, at)
	}
	flip("h", 6)  // the data length
	flip("r", -2) // the record's CRC
	for _, k := range []string{"h", "r"} {
		if _, err := b.Stat(ctx, "bkt", k); !damaged(err) {
			t.Errorf("Stat(%s) = %v, want a damaged record", k, err)
		}
		if _, _, err := readHead(b.headPath("bkt", k)); !damaged(err) {
			t.Errorf("listing read of %s = %v, want a damaged record", k, err)
		}
	}
	if got := listKeys(t, b, "bkt", backend.ListOptions{}); len(got) != 1 || got[0] != "ok" {
		t.Fatalf("List = %q", got)
	}
}

// TestSweepInlineConversionLeftover: a crash in SetMeta's conversion
// after the data/ link became durable and the temp name was lost leaves a
// data file whose other link is the unchanged inline head. Sweep removes
// that link only; the object stays whole.
func TestSweepInlineConversionLeftover(t *testing.T) {
	g := inFlightGrace
	inFlightGrace = 0
	defer func() { inFlightGrace = g }()
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "k", []byte("inline"), nil)
	id := newID()
	p := b.dataPath("bkt", id)
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.Link(b.headPath("bkt", "k"), p); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if st, err := b.Sweep(ctx, 24*time.Hour); err != nil || st.Orphan != 1 {
		t.Fatalf("Sweep = %+v, %v", st, err)
	}
	if string(mustRead(t, b, "bkt", "k")) != "inline" || dataFiles(t, b, "bkt") != 0 {
		t.Fatal("Sweep hurt the object or left the link")
	}
	// In flight (three links: head, temp name, data) it stays.
	tmp := filepath.Join(b.tmpDir("bkt"), "data-"+b.writer+"-"+id)
	os.Link(b.headPath("bkt", "k"), tmp)
	os.Link(tmp, p)
	time.Sleep(10 * time.Millisecond)
	if st, err := b.Sweep(ctx, 24*time.Hour); err != nil || st.Orphan != 0 {
		t.Fatalf("Sweep of an in-flight conversion = %+v, %v", st, err)
	}
}

// TestDirSyncerCoalesces: concurrent callers share fsyncs, and each
// caller's fsync starts after it called.
func TestDirSyncerCoalesces(t *testing.T) {
	var s dirSyncer
	var runs, active atomic.Int64
	var mu sync.Mutex
	var starts []time.Time
	fn := func() error {
		if active.Add(1) != 1 {
			t.Error("two fsyncs of one directory at once")
		}
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		runs.Add(1)
		time.Sleep(2 * time.Millisecond)
		active.Add(-1)
		return nil
	}
	const callers = 64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			called := time.Now()
			if err := s.do("d", fn); err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, st := range starts {
				if !st.Before(called) {
					return
				}
			}
			t.Error("a caller returned without an fsync that started after its call")
		})
	}
	wg.Wait()
	if n := runs.Load(); n >= callers || n < 1 {
		t.Fatalf("%d fsyncs for %d concurrent callers", n, callers)
	}
	t.Logf("%d fsyncs for %d concurrent callers", runs.Load(), callers)
	if len(s.dirs) != 0 {
		t.Fatalf("state kept for %d idle directories", len(s.dirs))
	}
	boom := errors.New("boom")
	if err := s.do("d", func() error { return boom }); err != boom {
		t.Fatalf("error = %v", err)
	}
}
