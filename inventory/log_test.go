package inventory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"envelopegw/envelope"
)

func testKey(t testing.TB) *envelope.SigningKey {
	k, err := envelope.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func put(bucket, key, rec string) Entry {
	return Entry{Kind: KindPut, Bucket: bucket, Key: key, WriteID: "w-" + rec, RecordHash: rec, Size: 1, Time: time.Unix(1, 0).UTC()}
}

func mustAppend(t testing.TB, l *Log, es ...Entry) {
	t.Helper()
	for _, e := range es {
		if err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func volume(obs ...Object) func(func(Object) error) error {
	return func(yield func(Object) error) error {
		for _, o := range obs {
			if err := yield(o); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestDiffNamesEveryChange(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	l, err := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	pend := put("b", "crashed", "c1")
	pend.Pending = true
	mustAppend(t, l,
		put("b", "same", "s1"),
		put("b", "gone", "g1"),
		put("b", "old", "o1"), put("b", "old", "o2"),
		put("b", "swapped", "x1"),
		put("b", "back", "k1"), Entry{Kind: KindDelete, Bucket: "b", Key: "back"},
		pend,
	)
	st, err := Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Diff(volume(
		Object{Bucket: "b", Key: "same", RecordHash: "s1"},
		Object{Bucket: "b", Key: "old", RecordHash: "o1"},
		Object{Bucket: "b", Key: "swapped", RecordHash: "zz"},
		Object{Bucket: "b", Key: "back", RecordHash: "k1"},
		Object{Bucket: "b", Key: "new", RecordHash: "n1"},
		Object{Bucket: "b", Key: "crashed", RecordHash: "c1"},
	), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"gone": FoundDeleted, "old": FoundRolledBack, "swapped": FoundReplaced, "back": FoundRolledBack, "new": FoundAdded, "crashed": FoundUnlogged}
	if len(got) != len(want) {
		t.Fatalf("findings %+v, want %v", got, want)
	}
	for _, f := range got {
		if want[f.Key] != f.What {
			t.Errorf("%s: %s (%s), want %s", f.Key, f.What, f.Detail, want[f.Key])
		}
	}
}

func TestReplayDetectsTruncationRewriteAndForgery(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	trusted := envelope.Signers{k.Public()}
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
	for i := range 20 {
		mustAppend(t, l, put("b", fmt.Sprint("k", i), fmt.Sprint("r", i)))
	}
	exported, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	older, err := OpenCheckpoint(exported, trusted)
	if err != nil || older.N != 20 {
		t.Fatalf("checkpoint %v, %v", older, err)
	}
	mustAppend(t, l, put("b", "later", "r-later"))
	if _, err := Replay(dir, trusted, older); err != nil {
		t.Fatalf("an extended log: %v", err)
	}

	// Forged: the same log re-signed by another key.
	other := testKey(t)
	if _, err := OpenCheckpoint(mustSign(t, older, other), trusted); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("a checkpoint by another key: %v", err)
	}

	// Rewritten: a fresh log with other history, signed by the right key.
	rewritten := t.TempDir()
	l2, _ := Open(rewritten, k, Options{NoFsync: true, SignDelay: -1})
	for i := range 25 {
		mustAppend(t, l2, put("b", fmt.Sprint("k", i), fmt.Sprint("other", i)))
	}
	if _, err := Replay(rewritten, trusted, older); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("a rewritten log: %v", err)
	}
	// Truncated: a log of 10 entries, re-signed.
	short := t.TempDir()
	l3, _ := Open(short, k, Options{NoFsync: true, SignDelay: -1})
	for i := range 10 {
		mustAppend(t, l3, put("b", fmt.Sprint("k", i), fmt.Sprint("r", i)))
	}
	if _, err := Replay(short, trusted, older); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("a truncated log: %v", err)
	}
	// An entry edited in place no longer hashes to the checkpoint.
	b, _ := os.ReadFile(filepath.Join(dir, entriesName))
	copy(b[len(b)-30:], "X")
	os.WriteFile(filepath.Join(dir, entriesName), b, 0o600)
	if _, err := Replay(dir, trusted, nil); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("an edited entry: %v", err)
	}
}

func mustSign(t *testing.T, c *Checkpoint, k *envelope.SigningKey) []byte {
	b, err := signCheckpoint(c.Tree, k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Two Logs on one directory (two processes) and many goroutines each.
func TestConcurrentAppenders(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	var wg sync.WaitGroup
	var logs []*Log
	for p := range 2 {
		l, _ := Open(dir, k, Options{})
		logs = append(logs, l)
		defer l.Close() // or its lazy signer outlives the test
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 10 {
					if err := l.Append(context.Background(), put("b", fmt.Sprint(p, g, i), fmt.Sprint("r", p, g, i))); err != nil {
						t.Error(err)
					}
				}
			}()
		}
	}
	wg.Wait()
	if err := logs[1].Close(); err != nil { // signs what the other appended too
		t.Fatal(err)
	}
	st, err := Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 80 || st.Checkpoint.N != 80 {
		t.Fatalf("%d entries, checkpoint %d; want 80", st.Entries, st.Checkpoint.N)
	}
}

// A crashed appender's torn tail is cut by the next append.
func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
	mustAppend(t, l, put("b", "a", "1"))
	f, _ := os.OpenFile(filepath.Join(dir, entriesName), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"kind":"put","bu`)
	f.Close()
	mustAppend(t, l, put("b", "c", "2"))
	st, err := Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil || st.Entries != 2 {
		t.Fatalf("%v entries, %v", st, err)
	}
}

// Entries are durable at once and signed later: Replay sees the tail,
// and Sign covers it.
func TestLazySigning(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: time.Hour})
	mustAppend(t, l, put("b", "a", "1"))
	if err := l.Sign(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, put("b", "b", "2"), put("b", "c", "3"))
	st, err := Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil || st.Checkpoint.N != 1 || st.Entries != 3 || st.Unsigned != 2 {
		t.Fatalf("before signing: %+v, %v", st, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil || st.Checkpoint.N != 3 || st.Unsigned != 0 {
		t.Fatalf("after Close: %+v, %v", st, err)
	}
}

// An entry appended to log an old record again is reported.
func TestReloggedRecord(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
	mustAppend(t, l, put("b", "k", "1"), put("b", "k", "2"), put("b", "k", "1"))
	st, err := Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.Diff(volume(Object{Bucket: "b", Key: "k", RecordHash: "1"}), nil)
	if err != nil || len(f) != 1 || f[0].What != FoundRelogged {
		t.Fatalf("findings %+v, %v", f, err)
	}
}

// The head is written without fsync: after a crash it may name fewer
// entries than were acknowledged. Those entries still count, for Replay
// and for the next append.
func TestStaleHeadRollsForward(t *testing.T) {
	dir := t.TempDir()
	k := testKey(t)
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
	mustAppend(t, l, put("b", "a", "1"))
	stale, _ := os.ReadFile(filepath.Join(dir, headName))
	mustAppend(t, l, put("b", "b", "2"), put("b", "c", "3"))
	os.WriteFile(filepath.Join(dir, headName), stale, 0o600)
	st, err := Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil || st.Entries != 3 || st.Unsigned != 2 {
		t.Fatalf("replay with a stale head: %+v, %v", st, err)
	}
	mustAppend(t, l, put("b", "d", "4"))
	st, err = Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil || st.Entries != 4 || st.Checkpoint.N != 4 {
		t.Fatalf("after the next append: %+v, %v", st, err)
	}
	// A head lost entirely: the next append finds the end from the start.
	os.Remove(filepath.Join(dir, headName))
	mustAppend(t, l, put("b", "e", "5"))
	st, err = Replay(dir, envelope.Signers{k.Public()}, nil)
	if err != nil || st.Entries != 5 || st.Checkpoint.N != 5 {
		t.Fatalf("after a lost head: %+v, %v", st, err)
	}
}
