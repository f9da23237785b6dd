package posix

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"envelopegw/backend"
)

// onlyDataFile returns the path of bucket's single data file.
func onlyDataFile(t *testing.T, b *Backend, bucket string) string {
	t.Helper()
	fs := files(t, b.dataDir(bucket))
	if len(fs) != 1 {
		t.Fatalf("bucket %s has data files %v, want one", bucket, fs)
	}
	return filepath.Join(b.dataDir(bucket), fs[0])
}

// TestCopySharesInodes: a copy is a hard link of the source's data file,
// or of its inline head file (no byte read or written), and Sweep keeps
// both names.
func TestCopySharesInodes(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "src")
	mustCreateBucket(t, b, "dst")
	data := bytes.Repeat([]byte("ciphertext"), 100000)
	mustPut(t, b, "src", "k", data, nil)
	st, err := b.Stat(ctx, "src", "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Copy(ctx, backend.CopySource{Bucket: "src", Key: "k", Version: st.Version}, "dst", "c", backend.Meta{"n": "1"}); err != nil {
		t.Fatal(err)
	}
	// The source is an inline head (inline.go): its file is the data.
	a, c := b.headPath("src", "k"), onlyDataFile(t, b, "dst")
	fa, _ := os.Stat(a)
	fc, _ := os.Stat(c)
	if a == c || !os.SameFile(fa, fc) {
		t.Fatalf("copy %s is not a link of %s", c, a)
	}
	if n := len(tmpFiles(t, b, "dst")); n != 0 {
		t.Fatalf("%d temp names left", n)
	}
	if _, err := b.Sweep(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, b, "src", "k"), data) || !bytes.Equal(mustRead(t, b, "dst", "c"), data) {
		t.Fatal("Sweep harmed a shared data file")
	}
	if err := b.Delete(ctx, "src", "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Sweep(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, b, "dst", "c"), data) {
		t.Fatal("deleting the source harmed the copy")
	}
}

// TestCopyInFlightSurvivesSweep: the data file of a copy being made has
// the source's old mtime, but its link is new; a Sweep that runs before
// the copy's head is published must not take it for an old orphan.
func TestCopyInFlightSurvivesSweep(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	data := []byte("old bytes")
	mustPut(t, b, "bkt", "k", data, nil)
	old := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(b.headPath("bkt", "k"), old, old); err != nil { // inline: the head holds the data
		t.Fatal(err)
	}
	st, err := b.Stat(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	var swept SweepStats
	onHook(t, "copy-linked", func() {
		if swept, err = b.Sweep(ctx, time.Hour); err != nil {
			t.Error(err)
		}
	})
	if _, err := b.Copy(ctx, backend.CopySource{Bucket: "bkt", Key: "k", Version: st.Version}, "bkt", "c", nil); err != nil {
		t.Fatal(err)
	}
	if swept.Orphan != 0 {
		t.Fatalf("Sweep during a copy removed %d data files", swept.Orphan)
	}
	if !bytes.Equal(mustRead(t, b, "bkt", "c"), data) {
		t.Fatal("copy unreadable")
	}
}
