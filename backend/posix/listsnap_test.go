package posix

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"envelopegw/backend"
)

// snapFixture is a bucket with one large directory (big/, 1,200 heads:
// written as a gateway of an older version would, with extents, and a
// few inline heads through the backend) and a smaller second one.
func snapFixture(t *testing.T) (root string, b *Backend) {
	t.Helper()
	if testing.Short() {
		t.Skip("waits for the racy window")
	}
	b = newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	for i := range 1200 {
		if err := writeBenchHead(b, "bkt", fmt.Sprintf("big/k%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		mustPut(t, b, "bkt", fmt.Sprintf("big/inline%d", i), bytes.Repeat([]byte("x"), i+1), backend.Meta{"etag": fmt.Sprint("inline", i)})
	}
	mustPut(t, b, "bkt", "big/sub/below", []byte("y"), nil) // a directory entry in big/
	for i := range 800 {
		if err := writeBenchHead(b, "bkt", fmt.Sprintf("other/k%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return b.Root(), b
}

// countHeadReads counts the head files of big/ that listings read until
// the test ends (big/sub/ is too small for a snapshot).
func countHeadReads(t *testing.T) *atomic.Int64 {
	var n atomic.Int64
	testHook = func(p string) {
		if strings.HasPrefix(p, "list read head ") && strings.HasSuffix(filepath.Dir(p), "/dbig") {
			n.Add(1)
		}
	}
	t.Cleanup(func() { testHook = nil })
	return &n
}

// listAll lists every key under prefix in pages of 300.
func listAll(t *testing.T, b *Backend, prefix string) []backend.ObjectInfo {
	t.Helper()
	var all []backend.ObjectInfo
	o := backend.ListOptions{Prefix: prefix, MaxKeys: 300}
	for {
		p, err := b.List(ctx, "bkt", o)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Objects...)
		if !p.IsTruncated {
			return all
		}
		o.After = p.NextAfter
	}
}

// truth lists through a backend with no caches, which never reads a
// snapshot.
func truth(t *testing.T, root, prefix string) []backend.ObjectInfo {
	t.Helper()
	nc, err := New(root, Options{ReadOnly: true, ListCacheEntries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return listAll(t, nc, prefix)
}

func sameListing(t *testing.T, what string, got, want []backend.ObjectInfo) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d keys, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Size != w.Size || !g.ModTime.Equal(w.ModTime) || g.Version != w.Version || !reflect.DeepEqual(g.Meta, w.Meta) {
			t.Fatalf("%s: entry %d is %+v, want %+v", what, i, g, w)
		}
	}
}

func coldBackend(t *testing.T, root string, opts Options) *Backend {
	t.Helper()
	b, err := New(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// buildSnapshots ages the fixture's directories, lists them (which asks
// for their snapshots) and waits for the snapshots.
func buildSnapshots(t *testing.T, b *Backend) {
	t.Helper()
	time.Sleep(racyWindow + 100*time.Millisecond)
	listAll(t, b, "big/")
	listAll(t, b, "other/")
	b.waitSnapshots()
	for _, rel := range []string{"dbig", "dother"} {
		dir := b.objectsDir("bkt") + "/" + rel
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.openSnapshot("bkt", dir, stampOf(fi)); err != nil {
			t.Fatalf("no current snapshot of %s: %v", rel, err)
		}
	}
}

// TestListSnapshotColdPage: a listing through a Backend with cold caches
// takes a large directory's entries and heads from its snapshot and reads
// no head file, with the very result reading them gives; fsck and Sweep
// leave the snapshots alone and report nothing.
func TestListSnapshotColdPage(t *testing.T) {
	root, b := snapFixture(t)
	buildSnapshots(t, b)
	want := truth(t, root, "big/")
	reads := countHeadReads(t)
	cold := coldBackend(t, root, Options{ReadOnly: true})
	sameListing(t, "cold listing", listAll(t, cold, "big/"), want)
	if n := reads.Load(); n != 0 {
		t.Fatalf("a cold listing with a snapshot read %d head files", n)
	}
	// A page in the middle, and one with a delimiter.
	p, err := cold.List(ctx, "bkt", backend.ListOptions{Prefix: "big/", After: "big/k00600", MaxKeys: 10})
	if err != nil || len(p.Objects) != 10 || p.Objects[0].Key != "big/k00601" {
		t.Fatalf("page in the middle: %+v, %v", p.Objects, err)
	}
	p, err = coldBackend(t, root, Options{ReadOnly: true}).List(ctx, "bkt", backend.ListOptions{Prefix: "big/", Delimiter: "/", After: "big/k01198", MaxKeys: 100})
	if err != nil || len(p.Objects) != 1 || len(p.CommonPrefixes) != 1 || p.CommonPrefixes[0] != "big/sub/" {
		t.Fatalf("delimited page: %+v %q, %v", p.Objects, p.CommonPrefixes, err)
	}
	if n := reads.Load(); n != 0 {
		t.Fatalf("cold pages with a snapshot read %d head files", n)
	}
	rep, err := b.Check(ctx, false)
	if err != nil || len(rep.Damaged) != 0 || rep.Heads != 2006 {
		t.Fatalf("check: %+v, %v", rep, err)
	}
	if _, err := b.Sweep(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.snapPath("bkt", "dbig")); err != nil {
		t.Fatalf("sweep removed a snapshot: %v", err)
	}
}

// TestListSnapshotSeesChanges: every change to a directory after its
// snapshot, made at once (in the same timestamp tick as far as the test
// can tell), is seen by the next cold listing.
func TestListSnapshotSeesChanges(t *testing.T) {
	root, b := snapFixture(t)
	buildSnapshots(t, b)
	changes := []struct {
		name string
		do   func() error
	}{
		{"new key", func() error { mustPut(t, b, "bkt", "big/k00000a", []byte("new"), nil); return nil }},
		{"overwrite", func() error {
			mustPut(t, b, "bkt", "big/k00007", []byte("over"), backend.Meta{"etag": "over"})
			return nil
		}},
		{"delete", func() error { return b.Delete(ctx, "bkt", "big/k00008") }},
		{"SetMeta", func() error {
			_, err := b.SetMeta(ctx, "bkt", "big/k00009", backend.Meta{"etag": "set"}, time.Time{})
			return err
		}},
		{"SetMeta of an inline head", func() error {
			_, err := b.SetMeta(ctx, "bkt", "big/inline2", backend.Meta{"etag": "set inline"}, time.Time{})
			return err
		}},
		{"Copy over", func() error {
			src, err := b.Stat(ctx, "bkt", "big/inline1")
			if err == nil {
				_, err = b.Copy(ctx, backend.CopySource{Bucket: "bkt", Key: "big/inline1", Version: src.Version}, "bkt", "big/k00010", backend.Meta{"etag": "copied"})
			}
			return err
		}},
	}
	for _, c := range changes {
		// Each round starts from a current snapshot.
		if c.name != changes[0].name {
			buildSnapshots(t, b)
		}
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := truth(t, root, "big/")
		sameListing(t, c.name+", cold", listAll(t, coldBackend(t, root, Options{ReadOnly: true}), "big/"), want)
		sameListing(t, c.name+", the writer", listAll(t, b, "big/"), want)
	}
}

// TestListSnapshotDamaged: a snapshot that is corrupted, truncated, of
// another directory or of another format is not used, and the listing
// reads the heads and is right.
func TestListSnapshotDamaged(t *testing.T) {
	root, b := snapFixture(t)
	buildSnapshots(t, b)
	file := b.snapPath("bkt", "dbig")
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(b.objectsDir("bkt") + "/dbig")
	if err != nil {
		t.Fatal(err)
	}
	// other/'s entries and heads, presented as big/'s snapshot for big/'s
	// stamp: only the recorded path tells them apart.
	var swapped bytes.Buffer
	ov := mustReadDir(t, b, b.objectsDir("bkt")+"/dother")
	w, err := b.writeSnapshotTo(&swapped, b.objectsDir("bkt")+"/dother", "dother", stampOf(st), ov)
	if err != nil || w == nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"a head's metadata changed": bytes.Replace(good, []byte("d41d8cd98f00b204e9800998ecf8427e"), []byte("d41d8cd98f00b204e9800998ecf8427f"), 1),
		"a name changed":            bytes.Replace(good, []byte("k00100"), []byte("k0010z"), 1),
		"truncated":                 good[:len(good)/2],
		"empty":                     {},
		"another directory's":       swapped.Bytes(),
		"an older format":           withSnapVersion(t, good, 0),
	}
	reads := countHeadReads(t)
	want := truth(t, root, "big/")
	for name, data := range cases {
		if bytes.Equal(data, good) {
			t.Fatalf("%s: the damage changed nothing", name)
		}
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		reads.Store(0)
		sameListing(t, name, listAll(t, coldBackend(t, root, Options{ReadOnly: true}), "big/"), want)
		if reads.Load() == 0 {
			t.Fatalf("%s: the snapshot was used", name)
		}
	}
	// And the same file intact is used again.
	if err := os.WriteFile(file, good, 0o600); err != nil {
		t.Fatal(err)
	}
	reads.Store(0)
	sameListing(t, "restored", listAll(t, coldBackend(t, root, Options{ReadOnly: true}), "big/"), want)
	if n := reads.Load(); n != 0 {
		t.Fatalf("the intact snapshot was not used: %d head reads", n)
	}
}

func mustReadDir(t *testing.T, b *Backend, path string) []dirEnt {
	t.Helper()
	names, err := readNames(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseEnts(names)
}

// writeSnapshotTo is writeSnapshot into a buffer.
func (b *Backend) writeSnapshotTo(buf *bytes.Buffer, path, rel string, st dirStamp, ents []dirEnt) (*snapWriter, error) {
	f, err := os.CreateTemp("", "snap")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	w, err := b.writeSnapshot(f, path, rel, st, ents, nil)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(f.Name())
	buf.Write(data)
	return w, err
}

// withSnapVersion returns snapshot data with its format version set to v
// and its footer checksum made right again.
func withSnapVersion(t *testing.T, data []byte, v byte) []byte {
	t.Helper()
	d := bytes.Clone(data)
	tail := d[len(d)-snapTailSize:]
	off := binary.BigEndian.Uint64(tail)
	n := binary.BigEndian.Uint32(tail[8:])
	foot := d[off : off+uint64(n)]
	if string(foot[:len(snapMagic)]) != snapMagic {
		t.Fatal("no footer where the tail says")
	}
	foot[len(snapMagic)] = v
	binary.BigEndian.PutUint32(foot[len(foot)-4:], crc32.Checksum(foot[:len(foot)-4], castagnoli))
	return d
}

// TestListSnapshotYoungDirectory: a directory changed within racyWindow
// gets no snapshot, whether a listing asks for one or not.
func TestListSnapshotYoungDirectory(t *testing.T) {
	_, b := snapFixture(t)
	buildSnapshots(t, b)
	mustPut(t, b, "bkt", "big/young", []byte("y"), nil)
	os.Remove(b.snapPath("bkt", "dbig"))
	err := b.buildSnapshot("bkt", b.objectsDir("bkt")+"/dbig")
	if !errors.Is(err, errSnapshot) {
		t.Fatalf("building a snapshot of a young directory: %v", err)
	}
	listAll(t, b, "big/")
	b.waitSnapshots()
	if _, err := os.Stat(b.snapPath("bkt", "dbig")); !os.IsNotExist(err) {
		t.Fatalf("a young directory got a snapshot (%v)", err)
	}
}

// TestListSnapshotDeleteBucket: the snapshots go with their bucket, and do
// not keep it from being deleted once its objects are gone.
func TestListSnapshotDeleteBucket(t *testing.T) {
	root, b := snapFixture(t)
	buildSnapshots(t, b)
	for _, p := range []string{"big/", "other/"} {
		for _, o := range listAll(t, b, p) {
			if err := b.Delete(ctx, "bkt", o.Key); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatalf("delete bucket with snapshots: %v", err)
	}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(p, "/listing") {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
	mustCreateBucket(t, b, "bkt")
	if _, err := os.Stat(b.listingDir("bkt")); !os.IsNotExist(err) {
		t.Fatalf("a new bucket has a listing directory (%v)", err)
	}
}

// TestListSnapshotTwoProcesses: two writable Backends on one root (two
// processes) share snapshots and see each other's changes.
func TestListSnapshotTwoProcesses(t *testing.T) {
	root, b1 := snapFixture(t)
	buildSnapshots(t, b1)
	b2 := coldBackend(t, root, Options{NoFsync: true})
	want := truth(t, root, "big/")
	reads := countHeadReads(t)
	sameListing(t, "second process, cold", listAll(t, b2, "big/"), want)
	if n := reads.Load(); n != 0 {
		t.Fatalf("the second process read %d heads despite the snapshot", n)
	}
	mustPut(t, b2, "bkt", "big/k00003", []byte("from b2"), backend.Meta{"etag": "b2"})
	if err := b2.Delete(ctx, "bkt", "big/k00004"); err != nil {
		t.Fatal(err)
	}
	want = truth(t, root, "big/")
	sameListing(t, "first process after the second's changes", listAll(t, b1, "big/"), want)
	sameListing(t, "second process after its changes", listAll(t, b2, "big/"), want)
	// Both rebuild once the directory settles; the last one wins and
	// either is right.
	time.Sleep(racyWindow + 100*time.Millisecond)
	listAll(t, b1, "big/")
	listAll(t, b2, "big/")
	b1.waitSnapshots()
	b2.waitSnapshots()
	want = truth(t, root, "big/")
	reads.Store(0)
	sameListing(t, "third process", listAll(t, coldBackend(t, root, Options{ReadOnly: true}), "big/"), want)
	if n := reads.Load(); n != 0 {
		t.Fatalf("no current snapshot after both processes listed: %d head reads", n)
	}
}

// TestListSnapshotChangedWhileBuilt: a directory that changes while its
// snapshot is being written gets none.
func TestListSnapshotChangedWhileBuilt(t *testing.T) {
	_, b := snapFixture(t)
	time.Sleep(racyWindow + 100*time.Millisecond)
	dir := b.objectsDir("bkt") + "/dbig"
	testHook = func(p string) {
		if p == "snapshot written "+dir {
			mustPut(t, b, "bkt", "big/k00005", []byte("meanwhile"), nil)
		}
	}
	t.Cleanup(func() { testHook = nil })
	if err := b.buildSnapshot("bkt", dir); !errors.Is(err, errSnapshot) {
		t.Fatalf("building while the directory changed: %v", err)
	}
	if _, err := os.Stat(b.snapPath("bkt", "dbig")); !os.IsNotExist(err) {
		t.Fatalf("a snapshot was published (%v)", err)
	}
	if names, _ := readNames(b.tmpDir("bkt")); len(names) != 0 {
		t.Fatalf("tmp/ holds %q", names)
	}
}

// TestListSnapshotTrusted: a listing trusts a snapshot that passes its
// checks, as it trusts heads (a forged one, written by hand for the
// directory's current stamp without one key, hides that key); a Backend
// with NoListSnapshots, as the checking tools open it, lists from the
// heads and sees every key.
func TestListSnapshotTrusted(t *testing.T) {
	root, b := snapFixture(t)
	buildSnapshots(t, b)
	dir := b.objectsDir("bkt") + "/dbig"
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	ents := mustReadDir(t, b, dir)
	var kept []dirEnt
	for _, e := range ents {
		if e.frag != "k00042" {
			kept = append(kept, e)
		}
	}
	var forged bytes.Buffer
	if _, err := b.writeSnapshotTo(&forged, dir, "dbig", stampOf(fi), kept); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.snapPath("bkt", "dbig"), forged.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	want := truth(t, root, "big/")
	if got := listAll(t, coldBackend(t, root, Options{ReadOnly: true}), "big/"); len(got) != len(want)-1 {
		t.Fatalf("the forged snapshot was not used: %d keys, %d in the heads", len(got), len(want))
	}
	reads := countHeadReads(t)
	sameListing(t, "NoListSnapshots", listAll(t, coldBackend(t, root, Options{ReadOnly: true, NoListSnapshots: true}), "big/"), want)
	if reads.Load() == 0 {
		t.Fatal("NoListSnapshots read no head")
	}
	// Nor does such a Backend ask for snapshots.
	os.Remove(b.snapPath("bkt", "dbig"))
	ns := coldBackend(t, root, Options{NoListSnapshots: true})
	listAll(t, ns, "big/")
	ns.waitSnapshots()
	if _, err := os.Stat(b.snapPath("bkt", "dbig")); !os.IsNotExist(err) {
		t.Fatalf("a Backend with NoListSnapshots built a snapshot (%v)", err)
	}
}

// TestListSnapshotFromCache: a directory whose entries and heads are all
// in memory gets its snapshot without a head file read.
func TestListSnapshotFromCache(t *testing.T) {
	_, b := snapFixture(t)
	time.Sleep(racyWindow + 100*time.Millisecond)
	dir := b.objectsDir("bkt") + "/dbig"
	listAll(t, b, "big/") // caches big/ and its heads, and asks for a snapshot
	b.waitSnapshots()
	if err := os.Remove(b.snapPath("bkt", "dbig")); err != nil {
		t.Fatal(err)
	}
	var reads atomic.Int64
	testHook = func(p string) {
		if strings.HasPrefix(p, "snapshot read head ") {
			reads.Add(1)
		}
	}
	t.Cleanup(func() { testHook = nil })
	if err := b.buildSnapshot("bkt", dir); err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); n != 0 {
		t.Fatalf("building from a cached directory read %d head files", n)
	}
	// The snapshot is the one reading the heads would give, and is used.
	root := b.Root()
	want := truth(t, root, "big/")
	cold := countHeadReads(t)
	sameListing(t, "from the cache-built snapshot", listAll(t, coldBackend(t, root, Options{ReadOnly: true}), "big/"), want)
	if n := cold.Load(); n != 0 {
		t.Fatalf("the cache-built snapshot was not used: %d head reads", n)
	}
}

// TestListSnapshotSweep: Sweep removes a snapshot left behind by a change
// whose drop never happened (a crash between a head's rename and the
// snapshot's unlink), one at another directory's place, and one that does
// not decode; it keeps a current one.
func TestListSnapshotSweep(t *testing.T) {
	_, b := snapFixture(t)
	buildSnapshots(t, b)
	// A head replaced by a rename whose snapshot drop a crash prevented.
	head := b.headPath("bkt", "big/k00001")
	if err := os.WriteFile(head+".new", mustFile(t, b.headPath("bkt", "big/k00002")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(head+".new", head); err != nil {
		t.Fatal(err)
	}
	gone := b.snapPath("bkt", "dgone")
	if err := os.WriteFile(gone, mustFile(t, b.snapPath("bkt", "dother")), 0o600); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(b.listingDir("bkt"), "junk")
	if err := os.WriteFile(junk, []byte("not a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Sweep(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{b.snapPath("bkt", "dbig"), gone, junk} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("sweep left %s (%v)", f, err)
		}
	}
	if _, err := os.Stat(b.snapPath("bkt", "dother")); err != nil {
		t.Errorf("sweep removed a current snapshot: %v", err)
	}
}

func mustFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
