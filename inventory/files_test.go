package inventory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"envelopegw/envelope"
)

// A Log caches the head it wrote; another Log (another process) that
// appends and signs meanwhile replaces the head file, so the first Log
// must read it again: writing its cached head back would roll the
// checkpoint back, and a consistency check from the newer, exported
// checkpoint would then report the log truncated.
func TestCachedHeadYieldsToAnotherAppender(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	a, _ := Open(dir, k, Options{NoFsync: true, SignDelay: time.Hour})
	b, _ := Open(dir, k, Options{NoFsync: true, SignDelay: time.Hour})
	defer a.Close()
	mustAppend(t, a, put("b", "a1", "1"), put("b", "a2", "2"))
	mustAppend(t, b, put("b", "b1", "3"))
	if err := b.Close(); err != nil { // signs all three
		t.Fatal(err)
	}
	exported, err := ReadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, a, put("b", "a3", "4"))
	cp, err := OpenCheckpoint(exported, envelope.Signers{k.Public()})
	if err != nil || cp.N != 3 {
		t.Fatalf("exported checkpoint %+v, %v", cp, err)
	}
	st, err := Replay(dir, envelope.Signers{k.Public()}, cp)
	if err != nil {
		t.Fatalf("the log does not extend the checkpoint signed by the other appender: %v", err)
	}
	if st.Entries != 4 || st.Checkpoint.N != 3 {
		t.Fatalf("%d entries, checkpoint %d; want 4 and 3", st.Entries, st.Checkpoint.N)
	}
}

// A head edited in place (same inode) is not the cached one either.
func TestCachedHeadYieldsToAnEditedHead(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: time.Hour})
	defer l.Close()
	mustAppend(t, l, put("b", "a", "1"))
	hp := filepath.Join(dir, headName)
	before, _ := os.ReadFile(hp)
	mustAppend(t, l, put("b", "b", "2"))
	if err := l.Sign(); err != nil {
		t.Fatal(err)
	}
	// Someone puts the older head back in place (not by a rename): the
	// Log must not trust its memory of the head it wrote.
	time.Sleep(2 * time.Millisecond)
	if err := os.WriteFile(hp, before, 0o600); err != nil {
		t.Fatal(err)
	}
	l.files.head = &head{N: 1, Bytes: 1} // a wrong memory, to be ignored
	mustAppend(t, l, put("b", "c", "3"))
	st, err := Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil || st.Entries != 3 {
		t.Fatalf("after an edited head: %+v, %v", st, err)
	}
}

// The steady-state append opens no file and parses no head: it is one
// stat, the lock, two writes, one fdatasync and the commit mark's write.
func TestAppendKeepsFilesOpen(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: time.Hour})
	defer l.Close()
	mustAppend(t, l, put("b", "a", "1"))
	ef := l.files.entries
	mustAppend(t, l, put("b", "b", "2"))
	if l.files.entries != ef || l.files.head == nil {
		t.Fatal("the second append reopened the entries file or dropped the cached head")
	}
	if err := l.Append(context.Background(), put("b", "c", "3")); err != nil {
		t.Fatal(err)
	}
}

// Checkpoints reuse the head files' inodes: the new head and the temp
// file are exchanged, so the temp name keeps the previous head's inode
// for the next one (allocating an inode per head was what an append cost
// most on ext4, when every batch replaced the head).
func TestHeadInodesAreReused(t *testing.T) {
	dir := t.TempDir()
	l, _ := Open(dir, testKey(t), Options{NoFsync: true, SignDelay: time.Hour})
	defer l.Close()
	ino := func(name string) uint64 {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	mustAppend(t, l, put("b", "k", "0"))
	for i := 1; i < 6; i++ {
		prev := ino(headName)
		mustAppend(t, l, put("b", fmt.Sprint("k", i), fmt.Sprint(i)))
		if err := l.Sign(); err != nil {
			t.Fatal(err)
		}
		if got := ino(headName + ".tmp"); got != prev {
			t.Fatalf("append %d: the temp file is inode %d, not the previous head's %d", i, got, prev)
		}
	}
	st, err := Replay(dir, envelope.Signers{l.key.Public()}, nil)
	if err != nil || st.Entries != 6 {
		t.Fatalf("replay: %+v, %v", st, err)
	}
}
