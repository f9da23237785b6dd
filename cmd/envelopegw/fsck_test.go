package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"envelopegw/backend/posix"
)

// TestFsck truncates one head, as a power loss under --no-fsync can:
// fsck reports it (exit non-zero, read-only), --remove-damaged removes it,
// and the next run is clean.
func TestFsck(t *testing.T) {
	root := t.TempDir()
	be, err := posix.New(root, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := be.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ok", "broken"} {
		w, err := be.NewObject(ctx, "bkt", k)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(k))
		if _, err := w.Commit(nil); err != nil {
			t.Fatal(err)
		}
	}
	head := filepath.Join(root, "buckets", "bkt", "objects", "obroken")
	if err := os.Truncate(head, 0); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = fsckMain(ctx, []string{"--data", root}, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "damaged head record bkt/broken: "+head) ||
		!strings.Contains(out.String(), "2 heads") {
		t.Fatalf("fsck: %v\n%s", err, out.String())
	}
	if _, serr := os.Stat(head); serr != nil {
		t.Fatal("report-only fsck removed the head")
	}
	out.Reset()
	if err := fsckMain(ctx, []string{"--data", root, "--remove-damaged"}, &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "removed head record bkt/broken") {
		t.Fatalf("fsck --remove-damaged: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := fsckMain(ctx, []string{"--data", root}, &out, &errOut); err != nil || !strings.Contains(out.String(), "0 damaged") {
		t.Fatalf("fsck after removal: %v\n%s", err, out.String())
	}
}
