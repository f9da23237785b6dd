package posix

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"envelopegw/backend"
)

var ctx = context.Background()

func newTestBackend(t testing.TB, opts Options) *Backend {
	t.Helper()
	b, err := New(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Before the directory goes: a listing snapshot may be in the making.
	t.Cleanup(b.waitSnapshots)
	return b
}

func mustCreateBucket(t testing.TB, b *Backend, name string) {
	t.Helper()
	if err := b.CreateBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
}

func mustPut(t testing.TB, b *Backend, bucket, key string, data []byte, meta backend.Meta) {
	t.Helper()
	w, err := b.NewObject(ctx, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(meta); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t testing.TB, b *Backend, bucket, key string) []byte {
	t.Helper()
	o, err := b.Open(ctx, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	buf := make([]byte, o.Info().Size)
	if n, err := o.ReadAt(buf, 0); n != len(buf) || err != nil && err != io.EOF {
		t.Fatalf("ReadAt %s/%s: %d of %d bytes, %v", bucket, key, n, len(buf), err)
	}
	return buf
}

func mustPart(t testing.TB, b *Backend, bucket, key, id string, n int, data []byte) string {
	t.Helper()
	w, err := b.NewPart(ctx, bucket, key, id, n)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.Write(data)
	if _, err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
	parts, err := b.ListParts(ctx, bucket, key, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if p.Number == n {
			return p.ID
		}
	}
	t.Fatalf("part %d missing", n)
	return ""
}

// files lists the regular files below dir, relative to it.
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// dataFiles counts the data files of a bucket.
func dataFiles(t testing.TB, b *Backend, bucket string) int {
	return len(files(t, b.dataDir(bucket)))
}

func tmpFiles(t testing.TB, b *Backend, bucket string) []string {
	names, err := readNames(b.tmpDir(bucket))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestOnDiskLayout checks where awkward keys land: every head below the
// bucket's objects directory, nothing anywhere else, and the directory
// tree decodes back to the keys.
func TestOnDiskLayout(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	keys := []string{"../../../escape", "..", ".", "/abs", "a/../../b", "nul\x00", strings.Repeat("x", 600), "a", "a/b"}
	for _, k := range keys {
		mustPut(t, b, "bkt", k, []byte(k), nil)
	}
	for _, f := range files(t, b.Root()) {
		if !strings.HasPrefix(f, "buckets/bkt/") && !strings.HasPrefix(f, "writers/") {
			t.Errorf("file outside the bucket: %s", f)
		}
	}
	var decoded []string
	for _, f := range files(t, b.objectsDir("bkt")) {
		k, ok := decodeElems(strings.Split(f, "/"))
		if !ok {
			t.Errorf("head file %q does not decode", f)
		}
		decoded = append(decoded, k)
	}
	if len(decoded) != len(keys) {
		t.Fatalf("%d head files for %d keys: %q", len(decoded), len(keys), decoded)
	}
	for _, k := range keys {
		if string(mustRead(t, b, "bkt", k)) != k {
			t.Fatalf("%q reads back wrong", k)
		}
	}
	if n := dataFiles(t, b, "bkt"); n != 0 {
		t.Fatalf("%d data files for %d single PUTs, which keep their data in the head", n, len(keys))
	}
	// Deleting prunes the directories it empties.
	for _, k := range keys {
		if err := b.Delete(ctx, "bkt", k); err != nil {
			t.Fatal(err)
		}
	}
	if names, _ := readNames(b.objectsDir("bkt")); len(names) != 0 {
		t.Fatalf("objects directory not pruned: %q", names)
	}
	if n := dataFiles(t, b, "bkt"); n != 0 {
		t.Fatalf("%d data files left after deleting everything", n)
	}
}

// TestReserved: the gateway's own directory and junk under buckets/ are
// never buckets.
func TestReserved(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	os.MkdirAll(filepath.Join(b.Root(), ".envelopegw", "keys"), 0o700)
	os.WriteFile(filepath.Join(b.Root(), ".envelopegw", "state"), []byte("x"), 0o600)
	os.Mkdir(filepath.Join(b.bucketsDir(), ".new-leftover"), 0o700)
	os.Mkdir(filepath.Join(b.bucketsDir(), "UPPER"), 0o700)
	os.Mkdir(filepath.Join(b.bucketsDir(), "nobucketrecord"), 0o700)
	os.WriteFile(filepath.Join(b.bucketsDir(), "afile"), nil, 0o600)
	mustCreateBucket(t, b, "real")
	list, err := b.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "real" {
		t.Fatalf("ListBuckets = %+v", list)
	}
	if _, err := b.HeadBucket(ctx, ".envelopegw"); !errors.Is(err, backend.ErrInvalidBucket) {
		t.Fatalf("HeadBucket(.envelopegw) = %v", err)
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	if _, err := New(filepath.Join(dir, "missing"), Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only New of a missing directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("read-only New created the directory")
	}
	rw, _ := New(dir, Options{NoFsync: true})
	mustCreateBucket(t, rw, "bkt")
	mustPut(t, rw, "bkt", "k", []byte("data"), nil)
	ro, err := New(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, ro, "bkt", "k"); string(got) != "data" {
		t.Fatalf("read-only read %q", got)
	}
	if p, err := ro.List(ctx, "bkt", backend.ListOptions{}); err != nil || len(p.Objects) != 1 {
		t.Fatalf("read-only List = %+v, %v", p, err)
	}
	checks := map[string]error{
		"CreateBucket": ro.CreateBucket(ctx, "new"),
		"DeleteBucket": ro.DeleteBucket(ctx, "bkt"),
		"Delete":       ro.Delete(ctx, "bkt", "k"),
	}
	_, checks["NewObject"] = ro.NewObject(ctx, "bkt", "x")
	_, checks["SetMeta"] = ro.SetMeta(ctx, "bkt", "k", nil, rwTime(t, rw))
	_, checks["CreateUpload"] = ro.CreateUpload(ctx, "bkt", "x", nil)
	_, checks["Sweep"] = ro.Sweep(ctx, 0)
	for what, err := range checks {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("read-only %s: %v, want ErrReadOnly", what, err)
		}
	}
	if got := mustRead(t, rw, "bkt", "k"); string(got) != "data" {
		t.Fatal("read-only backend changed the store")
	}
}

func rwTime(t *testing.T, b *Backend) time.Time {
	info, err := b.Stat(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	return info.ModTime
}

// TestOpenSurvivesReplace: an open one-extent object keeps reading the
// version it opened after a replace and after a delete (open files
// survive unlink).
func TestOpenSurvivesReplace(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "k", []byte("version one"), nil)
	o, err := b.Open(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	mustPut(t, b, "bkt", "k", []byte("version two!"), nil)
	if err := b.Delete(ctx, "bkt", "k"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 11)
	if n, err := o.ReadAt(buf, 0); n != 11 || err != nil || string(buf) != "version one" {
		t.Fatalf("ReadAt after replace and delete = %d %q %v", n, buf, err)
	}
}

// TestOpenRetriesHead replaces the object between Open's head read and its
// open of the first data file: Open must read the head again and return
// the new version (an inline head, which needs no second file).
func TestOpenRetriesHead(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	putLegacy(t, b, "bkt", "k", []byte("old")) // a head with a data file
	fired := 0
	openHook = func() {
		if fired == 0 {
			mustPut(t, b, "bkt", "k", []byte("new!"), nil)
		}
		fired++
	}
	defer func() { openHook = nil }()
	o, err := b.Open(ctx, "bkt", "k")
	if err != nil {
		t.Fatalf("Open with a replace in the window: %v", err)
	}
	defer o.Close()
	buf := make([]byte, 4)
	if n, _ := o.ReadAt(buf, 0); n != 4 || string(buf) != "new!" || o.Info().Size != 4 || fired != 1 {
		t.Fatalf("read %q (size %d) after %d head reads", buf[:n], o.Info().Size, fired)
	}
}

// TestLazyExtentRace documents the remaining race: a later extent of a
// multipart object replaced after Open fails loudly, never with bytes of
// the new version.
func TestLazyExtentRace(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	complete := func(fill byte) {
		id, err := b.CreateUpload(ctx, "bkt", "k", nil)
		if err != nil {
			t.Fatal(err)
		}
		var refs []backend.PartRef
		for n := 1; n <= 3; n++ {
			refs = append(refs, backend.PartRef{Number: n, ID: mustPart(t, b, "bkt", "k", id, n, bytes.Repeat([]byte{fill}, 10))})
		}
		if _, err := b.CompleteUpload(ctx, "bkt", "k", id, refs, nil); err != nil {
			t.Fatal(err)
		}
	}
	complete('a')
	o, err := b.Open(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	complete('b')
	buf := make([]byte, 30)
	n, err := o.ReadAt(buf, 0)
	if !errors.Is(err, backend.ErrNoSuchKey) || n != 10 || !bytes.Equal(buf[:n], bytes.Repeat([]byte{'a'}, 10)) {
		t.Fatalf("ReadAt across a replaced extent = %d %q %v", n, buf[:n], err)
	}
	if string(mustRead(t, b, "bkt", "k")) != strings.Repeat("b", 30) {
		t.Fatal("new version reads wrong")
	}
}

var ts0 time.Time

func isNoSuchKey(err error) bool { return errors.Is(err, backend.ErrNoSuchKey) }
