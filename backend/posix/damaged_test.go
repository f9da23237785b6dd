package posix

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"envelopegw/backend"
	"envelopegw/logctx"
)

// logBuf is a concurrency-safe log sink for tests.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func listKeys(t *testing.T, b *Backend, bucket string, opts backend.ListOptions) []string {
	t.Helper()
	p, err := b.List(ctx, bucket, opts)
	if err != nil {
		t.Fatalf("List %+v: %v", opts, err)
	}
	var keys []string
	for _, o := range p.Objects {
		keys = append(keys, o.Key)
	}
	return append(keys, p.CommonPrefixes...)
}

// damage replaces the file at path with content (nil: truncate to zero).
func damage(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedHeadCostsOnlyItsKey is issue 8's item 4: a zero-length or
// garbled head must not break listings, Sweep, or the key's own DELETE and
// overwrite; Check reports it and removes it.
func TestDamagedHeadCostsOnlyItsKey(t *testing.T) {
	var log logBuf
	b, err := New(t.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mustCreateBucket(t, b, "bkt")
	for _, k := range []string{"a", "dir/b", "dir/c", "z"} {
		putLegacy(t, b, "bkt", k, []byte("data of "+k)) // heads with data files to lose
	}
	damage(t, b.headPath("bkt", "dir/b"), nil)
	damage(t, b.headPath("bkt", "z"), []byte("egw1 not a record"))

	if got := strings.Join(listKeys(t, b, "bkt", backend.ListOptions{}), " "); got != "a dir/c" {
		t.Errorf("List = %q, want the two intact keys", got)
	}
	if got := strings.Join(listKeys(t, b, "bkt", backend.ListOptions{Prefix: "dir/", Delimiter: "/"}), " "); got != "dir/c" {
		t.Errorf("List dir/ = %q", got)
	}
	if !strings.Contains(log.String(), "damaged record") || !strings.Contains(log.String(), "ob") {
		t.Errorf("the skipped head was not logged: %s", log.String())
	}
	if _, err := b.Stat(ctx, "bkt", "dir/b"); err == nil || !damaged(err) {
		t.Errorf("Stat of the damaged key = %v", err)
	}
	if _, err := b.SetMeta(ctx, "bkt", "z", backend.Meta{"a": "b"}, ts0); !errors.Is(err, backend.ErrNoSuchKey) {
		t.Errorf("SetMeta on a damaged head = %v, want NoSuchKey", err)
	}

	// Sweep goes on, counts the damage, and keeps the bucket's data files.
	st, err := b.Sweep(ctx, 0)
	if err != nil || st.Damaged != 2 || st.Orphan != 0 {
		t.Fatalf("Sweep = %+v, %v", st, err)
	}
	if n := dataFiles(t, b, "bkt"); n != 4 {
		t.Fatalf("%d data files after Sweep, want all 4", n)
	}

	// Overwrite and delete work.
	mustPut(t, b, "bkt", "dir/b", []byte("new b"), nil)
	if got := mustRead(t, b, "bkt", "dir/b"); string(got) != "new b" {
		t.Fatalf("overwritten damaged key reads %q", got)
	}
	if err := b.Delete(ctx, "bkt", "z"); err != nil {
		t.Fatalf("Delete of a damaged head = %v", err)
	}
	if _, err := b.Stat(ctx, "bkt", "z"); !errors.Is(err, backend.ErrNoSuchKey) {
		t.Fatalf("Stat after deleting the damaged head = %v", err)
	}
	// Their old data files are now unreferenced: Sweep takes them.
	st, err = b.Sweep(ctx, 0)
	if err != nil || st.Damaged != 0 || st.Orphan != 2 {
		t.Fatalf("Sweep after repair = %+v, %v", st, err)
	}
	for _, k := range []string{"a", "dir/b", "dir/c"} {
		mustRead(t, b, "bkt", k)
	}
}

// TestCheckReportsAndRemoves: Check finds damaged heads, part records and
// upload records; with remove it removes them and the store is whole.
func TestCheckReportsAndRemoves(t *testing.T) {
	b := newTestBackend(t, Options{Logger: slog.New(slog.NewTextHandler(&logBuf{}, nil))})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "good", []byte("g"), nil)
	mustPut(t, b, "bkt", "x/bad", []byte("b"), nil)
	id, _ := b.CreateUpload(ctx, "bkt", "mp", nil)
	mustPart(t, b, "bkt", "mp", id, 1, []byte("one"))
	mustPart(t, b, "bkt", "mp", id, 2, []byte("two"))
	id2, _ := b.CreateUpload(ctx, "bkt", "mp2", nil)
	damage(t, b.headPath("bkt", "x/bad"), nil)
	damage(t, filepath.Join(b.uploadDir("bkt", id), partName(2)), []byte("junk"))
	damage(t, filepath.Join(b.uploadDir("bkt", id2), uploadRecordName), nil)

	// The damaged part is left out; the damaged upload is not listed.
	if parts, err := b.ListParts(ctx, "bkt", "mp", id); err != nil || len(parts) != 1 {
		t.Errorf("ListParts = %+v, %v", parts, err)
	}
	if p, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{}); err != nil || len(p.Uploads) != 1 {
		t.Errorf("ListUploads = %+v, %v", p, err)
	}

	ro, err := New(b.Root(), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ro.Check(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, d := range rep.Damaged {
		kinds[d.Kind] = d.Key
		if d.Removed {
			t.Errorf("report-only Check removed %s", d.Path)
		}
	}
	if len(rep.Damaged) != 3 || kinds["head"] != "x/bad" || kinds["part"] != "mp" || rep.Heads != 2 || rep.Uploads != 2 {
		t.Fatalf("Check = %+v", rep)
	}
	if _, err := ro.Check(ctx, true); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Check(remove) on a read-only backend = %v", err)
	}
	rep, err = b.Check(ctx, true)
	if err != nil || len(rep.Damaged) != 3 || !rep.Damaged[0].Removed {
		t.Fatalf("Check(remove) = %+v, %v", rep, err)
	}
	if rep, err := b.Check(ctx, false); err != nil || len(rep.Damaged) != 0 {
		t.Fatalf("Check after removal = %+v, %v", rep, err)
	}
	if st, err := b.Sweep(ctx, 0); err != nil || st.Orphan != 1 {
		t.Fatalf("Sweep after removal = %+v, %v (want the damaged part's data; the head's was inline)", st, err)
	}
	mustRead(t, b, "bkt", "good")
	if _, err := b.CompleteUpload(ctx, "bkt", "mp", id, currentRefs(t, b, "bkt", "mp", id), nil); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, b, "bkt", "mp"); string(got) != "one" {
		t.Fatalf("upload completed after the repair reads %q", got)
	}
}

// The warning about a damaged record that a request skips or replaces
// carries that request's ID, so an operator can tie it to the request.
func TestDamagedWarningsCarryRequestID(t *testing.T) {
	var log logBuf
	b, err := New(t.TempDir(), Options{Logger: slog.New(logctx.NewHandler(slog.NewTextHandler(&log, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "a", []byte("a"), nil)
	damage(t, b.headPath("bkt", "a"), nil)
	rctx := logctx.WithRequestID(context.Background(), "REQ-LIST")
	if _, err := b.List(rctx, "bkt", backend.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	w, err := b.NewObject(logctx.WithRequestID(context.Background(), "REQ-PUT"), "bkt", "a")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("new a"))
	if _, err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"REQ-LIST", "REQ-PUT"} {
		if !strings.Contains(log.String(), "request_id="+id) {
			t.Errorf("no warning carries %s:\n%s", id, log.String())
		}
	}
}
