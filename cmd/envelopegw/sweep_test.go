package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"envelopegw/backend/posix"
)

// TestSweeperRemovesOldLeftovers runs the serve sweeper on a volume with a
// day-old temp file (what a killed writer leaves) and a fresh one (a write
// in flight): the first goes at once, the second stays.
func TestSweeperRemovesOldLeftovers(t *testing.T) {
	root := t.TempDir()
	be, err := posix.New(root, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := be.CreateBucket(context.Background(), "bkt"); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(root, "buckets", "bkt", "tmp")
	old, fresh := filepath.Join(tmp, "killed-writer"), filepath.Join(tmp, "in-flight")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("ciphertext"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Now().Add(-sweepAge - time.Hour)
	if err := os.Chtimes(old, day, day); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { runSweeper(ctx, be, slog.New(slog.NewTextHandler(io.Discard, nil)), nil); close(done) }()
	defer func() { cancel(); <-done }()

	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(old); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the day-old leftover was not swept")
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("a fresh temp file was swept: %v", err)
	}
}

// TestSweeperAtStartRemovesDeadWritersLeftovers: a writer that died (here:
// released its lease) mid-write leaves a fresh temp file; the sweeper of
// the next gateway removes it at start, without waiting a day.
func TestSweeperAtStartRemovesDeadWritersLeftovers(t *testing.T) {
	root := t.TempDir()
	dead, err := posix.New(root, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := dead.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	w, err := dead.NewObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("never committed"))
	dead.Close()
	tmp := filepath.Join(root, "buckets", "bkt", "tmp")
	if names, _ := os.ReadDir(tmp); len(names) != 1 {
		t.Fatalf("tmp holds %d entries, want the dead writer's", len(names))
	}

	be, err := posix.New(root, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { runSweeper(sctx, be, slog.New(slog.NewTextHandler(io.Discard, nil)), nil); close(done) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if names, _ := os.ReadDir(tmp); len(names) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dead writer's temp file was not swept at start")
		}
	}
}
