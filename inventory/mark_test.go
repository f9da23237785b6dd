package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"envelopegw/envelope"
)

// markedLog appends three entries, signs, and appends two more: the head
// names three, the commit mark five.
func markedLog(t *testing.T) (dir string, k *envelope.SigningKey) {
	t.Helper()
	dir = t.TempDir()
	k = testKey(t)
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: time.Hour})
	mustAppend(t, l, put("b", "a", "1"), put("b", "b", "2"), put("b", "c", "3"))
	if err := l.Sign(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, put("b", "d", "4"), put("b", "e", "5"))
	l.mu.Lock()
	l.timer.Stop() // no later signature: the head keeps naming three
	l.mu.Unlock()
	l.cmu.Lock()
	l.files.close()
	l.cmu.Unlock()
	return dir, k
}

// A batch between checkpoints writes the commit mark and leaves the head
// file alone: no truncation, no new head per append.
func TestBatchWritesMarkNotHead(t *testing.T) {
	dir := t.TempDir()
	l, _ := Open(dir, testKey(t), Options{NoFsync: true, SignDelay: time.Hour})
	defer l.Close()
	mustAppend(t, l, put("b", "a", "1")) // the first append signs
	hp := filepath.Join(dir, headName)
	before, err := os.Stat(hp)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, put("b", "b", "2"), put("b", "c", "3"))
	after, err := os.Stat(hp)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) || before.Size() != after.Size() {
		t.Fatal("an append between checkpoints replaced the head")
	}
	m, err := readMarkIn(dir)
	entries, _ := os.ReadFile(filepath.Join(dir, entriesName))
	if err != nil || m.N != 3 || m.Bytes != int64(len(entries)) {
		t.Fatalf("commit mark %+v, %v; want 3 entries, %d bytes", m, err, len(entries))
	}
}

// A line the mark commits, past the head, that does not parse is damage,
// for Replay and for the next append, as it was when every batch wrote
// the head.
func TestMarkCommitsPastTheHead(t *testing.T) {
	dir, k := markedLog(t)
	b, _ := os.ReadFile(filepath.Join(dir, entriesName))
	fourth := 0
	for range 3 {
		fourth += bytes.IndexByte(b[fourth:], '\n') + 1
	}
	f, _ := os.OpenFile(filepath.Join(dir, entriesName), os.O_WRONLY, 0)
	f.WriteAt([]byte{0}, int64(fourth+3))
	f.Close()
	if _, err := Replay(dir, envelope.Signers{k.Public()}, nil); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("replay over a damaged entry the mark commits: %v", err)
	}
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
	if err := l.Append(t.Context(), put("b", "f", "6")); err == nil {
		t.Fatal("an append over a damaged entry the mark commits succeeded")
	}
}

// Entries cut below the mark are a truncated log, though the head names
// fewer.
func TestTruncatedBelowTheMark(t *testing.T) {
	dir, k := markedLog(t)
	b, _ := os.ReadFile(filepath.Join(dir, entriesName))
	cut := bytes.LastIndexByte(b[:len(b)-1], '\n') + 1 // drop the fifth entry
	if err := os.Truncate(filepath.Join(dir, entriesName), int64(cut)); err != nil {
		t.Fatal(err)
	}
	if _, err := Replay(dir, envelope.Signers{k.Public()}, nil); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("replay of a log cut below its mark: %v", err)
	}
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
	if err := l.Append(t.Context(), put("b", "f", "6")); err == nil {
		t.Fatal("an append to a log cut below its mark succeeded")
	}
}

// A mark that does not check (torn, zeroed, garbage) or that a crash left
// stale commits nothing more than the head: the entries past it still
// count, and the next append goes on from them.
func TestDamagedOrStaleMarkIsAHint(t *testing.T) {
	for name, mark := range map[string][]byte{
		"garbage": bytes.Repeat([]byte{0xa5}, markSize),
		"zeroed":  make([]byte, markSize),
		"torn":    nil, // filled below: a valid mark with one byte changed
		"stale":   nil, // the mark of three entries
		"missing": nil,
	} {
		t.Run(name, func(t *testing.T) {
			dir, k := markedLog(t)
			mp := filepath.Join(dir, markName)
			switch name {
			case "torn":
				mark, _ = os.ReadFile(mp)
				mark[20] ^= 1
			case "stale":
				var b [markSize]byte
				h, _ := readHead(dir)
				encodeMark(&b, point{N: h.N, Bytes: h.Bytes})
				mark = b[:]
			}
			if name == "missing" {
				os.Remove(mp)
			} else if err := os.WriteFile(mp, mark, 0o600); err != nil {
				t.Fatal(err)
			}
			trusted := envelope.Signers{k.Public()}
			if st, err := Replay(dir, trusted, nil); err != nil || st.Entries != 5 || st.Unsigned != 2 {
				t.Fatalf("replay: %+v, %v", st, err)
			}
			l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
			mustAppend(t, l, put("b", "f", "6"))
			st, err := Replay(dir, trusted, nil)
			if err != nil || st.Entries != 6 || st.Checkpoint.N != 6 {
				t.Fatalf("after the next append: %+v, %v", st, err)
			}
			if m, err := readMarkIn(dir); err != nil || m.N != 6 {
				t.Fatalf("mark after the next append: %+v, %v", m, err)
			}
		})
	}
}
