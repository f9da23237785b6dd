package inventory

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"envelopegw/envelope"
)

// crashedLog builds a log whose last checkpoint covers 3 entries and
// whose 5 later entries' stored hashes were never fsynced, then damages
// the hashes past the checkpoint as a machine crash may (damage gets the
// hashes file), with the head the crash left (stale: the checkpoint's;
// or the latest, unsynced one). It returns the intact hashes file.
func crashedLog(t *testing.T, dir string, k *envelope.SigningKey, staleHead bool, damage func(f *os.File, durable int64)) []byte {
	t.Helper()
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: time.Hour})
	mustAppend(t, l, put("b", "k0", "0"), put("b", "k1", "1"), put("b", "k2", "2"))
	if err := l.Sign(); err != nil {
		t.Fatal(err)
	}
	signed, _ := os.ReadFile(filepath.Join(dir, headName))
	for i := 3; i < 8; i++ {
		mustAppend(t, l, put("b", fmt.Sprintf("k%d", i), fmt.Sprint(i)))
	}
	l.mu.Lock()
	if l.timer != nil {
		l.timer.Stop() // the crash: the tail is never signed by this Log
	}
	l.mu.Unlock()
	intact, _ := os.ReadFile(filepath.Join(dir, hashesName))
	if staleHead {
		os.WriteFile(filepath.Join(dir, headName), signed, 0o600)
	}
	f, err := os.OpenFile(filepath.Join(dir, hashesName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	damage(f, tlog.StoredHashCount(3)*tlog.HashSize)
	f.Close()
	return intact
}

// Only the entries are fsynced per append. A crash that loses or tears
// the stored hashes written since the last checkpoint loses no entry:
// the next Log recomputes them, and the log verifies clean.
func TestCrashLosesUnsyncedHashes(t *testing.T) {
	damages := map[string]func(f *os.File, durable int64){
		"truncated": func(f *os.File, durable int64) { f.Truncate(durable) },
		"zeroed": func(f *os.File, durable int64) {
			fi, _ := f.Stat()
			f.WriteAt(make([]byte, fi.Size()-durable), durable)
		},
		"partial": func(f *os.File, durable int64) { f.Truncate(durable + tlog.HashSize + 7) },
		"garbage": func(f *os.File, durable int64) {
			fi, _ := f.Stat()
			f.WriteAt(bytes.Repeat([]byte{0xa5}, int(fi.Size()-durable+100)), durable)
		},
	}
	for name, damage := range damages {
		for _, staleHead := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/staleHead=%v", name, staleHead), func(t *testing.T) {
				dir := t.TempDir()
				k := testKey(t)
				intact := crashedLog(t, dir, k, staleHead, damage)
				trusted := envelope.Signers{k.Public()}
				st, err := Replay(dir, trusted, nil)
				if err != nil || st.Entries != 8 {
					t.Fatalf("replay after the crash: %+v, %v", st, err)
				}
				older, _ := OpenCheckpoint(st.Checkpoint.Note, trusted)

				l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
				mustAppend(t, l, put("b", "k8", "8"))
				got, _ := os.ReadFile(filepath.Join(dir, hashesName))
				if !bytes.HasPrefix(got, intact) || int64(len(got)) != tlog.StoredHashCount(9)*tlog.HashSize {
					t.Fatalf("stored hashes not recomputed: %d bytes, want %d beginning with the intact %d",
						len(got), tlog.StoredHashCount(9)*tlog.HashSize, len(intact))
				}
				st, err = Replay(dir, trusted, older)
				if err != nil || st.Entries != 9 || st.Checkpoint.N != 9 {
					t.Fatalf("replay after recovery: %+v, %v", st, err)
				}
				var obs []Object
				for i := range 9 {
					obs = append(obs, Object{Bucket: "b", Key: fmt.Sprintf("k%d", i), RecordHash: fmt.Sprint(i)})
				}
				if f, err := st.Diff(volume(obs...), nil); err != nil || len(f) != 0 {
					t.Fatalf("findings %+v, %v", f, err)
				}
			})
		}
	}
}

// A torn last line (no newline, or a block of a batch that never reached
// the disk: zeros) is cut, by Replay and by the next append; a line the
// head commits that does not parse is damage, reported.
func TestTornLastLineIsCut(t *testing.T) {
	for name, torn := range map[string]string{
		"no newline": `{"kind":"put","bucket":"b","key":"x"`,
		"zeros":      string(make([]byte, 40)) + "\n",
		"half zeros": string(make([]byte, 8)) + `"key":"x"}` + "\n" + `{"kind":`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			k := testKey(t)
			l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
			mustAppend(t, l, put("b", "a", "1"))
			f, _ := os.OpenFile(filepath.Join(dir, entriesName), os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(torn)
			f.Close()
			trusted := envelope.Signers{k.Public()}
			if st, err := Replay(dir, trusted, nil); err != nil || st.Entries != 1 {
				t.Fatalf("replay of a torn tail: %+v, %v", st, err)
			}
			l2, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
			mustAppend(t, l2, put("b", "c", "2"))
			if st, err := Replay(dir, trusted, nil); err != nil || st.Entries != 2 || st.Checkpoint.N != 2 {
				t.Fatalf("after the next append: %+v, %v", st, err)
			}
		})
	}
	dir := t.TempDir()
	k := testKey(t)
	l, _ := Open(dir, k, Options{NoFsync: true, SignDelay: time.Hour})
	mustAppend(t, l, put("b", "a", "1")) // the first append signs
	mustAppend(t, l, put("b", "b", "2")) // past the checkpoint
	l.mu.Lock()
	l.timer.Stop()
	l.mu.Unlock()
	b, _ := os.ReadFile(filepath.Join(dir, entriesName))
	f, _ := os.OpenFile(filepath.Join(dir, entriesName), os.O_WRONLY, 0)
	f.WriteAt([]byte{0}, int64(bytes.IndexByte(b, '\n')+3))
	f.Close()
	l2, _ := Open(dir, k, Options{NoFsync: true, SignDelay: -1})
	if err := l2.Append(context.Background(), put("b", "c", "3")); err == nil {
		t.Fatal("an append over a damaged committed entry succeeded")
	}
}

// A checkpoint reaches the disk only after the stored hashes it covers
// (a consistency proof reads them) and its entries are durable; between
// checkpoints only the entries file is synced.
func TestCheckpointFollowsDurableHashes(t *testing.T) {
	var mu sync.Mutex
	var hashesSynced, entriesSynced int64
	var checkpoints, hashSyncs, entrySyncs int
	dir := t.TempDir()
	syncHook = func(what string, n, size int64) {
		mu.Lock()
		defer mu.Unlock()
		if filepath.Dir(what) != dir {
			return // another test's log, still signing
		}
		what = filepath.Base(what)
		switch what {
		case hashesName:
			hashesSynced = size
			hashSyncs++
		case entriesName:
			entriesSynced = size
			entrySyncs++
		case headName:
			checkpoints++
			if hashesSynced < tlog.StoredHashCount(n)*tlog.HashSize || entriesSynced < size {
				t.Errorf("checkpoint of %d entries (%d bytes) written with %d bytes of hashes and %d of entries durable",
					n, size, hashesSynced, entriesSynced)
			}
		}
	}
	defer func() { syncHook = nil }()
	k := testKey(t)
	l, _ := Open(dir, k, Options{SignDelay: time.Hour})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				if err := l.Append(context.Background(), put("b", fmt.Sprintf("g%d/%d", g, i), "r")); err != nil {
					t.Error(err)
				}
				if i == 2 && l.Sign() != nil {
					t.Error("sign failed")
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if checkpoints < 2 || hashSyncs != checkpoints || entrySyncs == 0 {
		t.Fatalf("%d checkpoints, %d hash syncs, %d entry syncs", checkpoints, hashSyncs, entrySyncs)
	}
}
