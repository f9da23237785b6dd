package posix

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"envelopegw/backend"
)

// onHook runs fn the first time the backend passes point (fn may pass it
// again itself), and restores the hook when the test ends.
func onHook(t *testing.T, point string, fn func()) {
	t.Helper()
	var fired atomic.Bool
	testHook = func(p string) {
		if p == point && fired.CompareAndSwap(false, true) {
			fn()
		}
	}
	t.Cleanup(func() { testHook = nil })
}

func currentRefs(t testing.TB, b *Backend, bucket, key, id string) []backend.PartRef {
	t.Helper()
	parts, err := b.ListParts(ctx, bucket, key, id)
	if err != nil {
		t.Fatal(err)
	}
	refs := make([]backend.PartRef, len(parts))
	for i, p := range parts {
		refs[i] = backend.PartRef{Number: p.Number, ID: p.ID}
	}
	return refs
}

// TestResentPartRacesComplete is issue 8's data loss, made deterministic:
// a re-sent part publishes its record, and before it fsyncs the upload
// directory a CompleteUpload that uses the new version retires that
// directory. The part commit must neither fail nor remove the data file
// the completed object now references.
func TestResentPartRacesComplete(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	id, _ := b.CreateUpload(ctx, "bkt", "k", nil)
	mustPart(t, b, "bkt", "k", id, 1, []byte("one"))
	mustPart(t, b, "bkt", "k", id, 2, []byte("two"))
	var cerr error
	onHook(t, "part-published", func() {
		_, cerr = b.CompleteUpload(ctx, "bkt", "k", id, currentRefs(t, b, "bkt", "k", id), nil)
	})
	w, err := b.NewPart(ctx, "bkt", "k", id, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("ONE"))
	if _, err := w.Commit(nil); err != nil {
		t.Errorf("re-sent part racing Complete: Commit = %v", err)
	}
	if cerr != nil {
		t.Fatalf("CompleteUpload = %v", cerr)
	}
	o, err := b.Open(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	buf := make([]byte, o.Info().Size)
	if n, err := o.ReadAt(buf, 0); n != 6 || string(buf) != "ONEtwo" {
		t.Fatalf("acknowledged object reads %q, %v", buf[:n], err)
	}
	if n := dataFiles(t, b, "bkt"); n != 2 {
		t.Fatalf("%d data files, want the object's 2", n)
	}
}

// TestResentPartRacesAbort: the same window with AbortUpload, which owns
// the re-sent part once it retired the directory: no error, no stray data.
func TestResentPartRacesAbort(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	id, _ := b.CreateUpload(ctx, "bkt", "k", nil)
	mustPart(t, b, "bkt", "k", id, 1, []byte("one"))
	var aerr error
	onHook(t, "part-published", func() { aerr = b.AbortUpload(ctx, "bkt", "k", id) })
	w, err := b.NewPart(ctx, "bkt", "k", id, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("ONE"))
	if _, err := w.Commit(nil); err != nil {
		t.Errorf("re-sent part racing Abort: Commit = %v", err)
	}
	if aerr != nil {
		t.Fatalf("AbortUpload = %v", aerr)
	}
	if n := dataFiles(t, b, "bkt"); n != 0 {
		t.Fatalf("%d data files left after the abort", n)
	}
}

// TestConcurrentDeletesPrune is issue 8's item 3: a Delete unlinks its
// head, and before it fsyncs the directory a Delete of the last neighbour
// prunes that directory. The first Delete must succeed and remove its data.
func TestConcurrentDeletesPrune(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "folder/a", []byte("a"), nil)
	mustPut(t, b, "bkt", "folder/b", []byte("b"), nil)
	var derr error
	onHook(t, "head-removed", func() { derr = b.Delete(ctx, "bkt", "folder/b") })
	if err := b.Delete(ctx, "bkt", "folder/a"); err != nil {
		t.Errorf("Delete racing a pruning Delete = %v", err)
	}
	if derr != nil {
		t.Fatalf("the pruning Delete = %v", derr)
	}
	if n := dataFiles(t, b, "bkt"); n != 0 {
		t.Fatalf("%d data files leaked", n)
	}
	if _, err := os.Stat(b.headPath("bkt", "folder/a")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("folder/a head: %v", err)
	}
}

// TestPutRacesDeleteOfItself: a PUT publishes its head and, before it
// fsyncs the directory, a Delete of the same key removes the head and
// prunes the directory. The PUT committed (it was overwritten by a
// delete), so it succeeds, and nothing leaks.
func TestPutRacesDeleteOfItself(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	var derr error
	onHook(t, "head-published", func() { derr = b.Delete(ctx, "bkt", "dir/k") })
	w, err := b.NewObject(ctx, "bkt", "dir/k")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("data"))
	if _, err := w.Commit(nil); err != nil {
		t.Errorf("PUT whose head a Delete removed at once: Commit = %v", err)
	}
	if derr != nil {
		t.Fatalf("Delete = %v", derr)
	}
	if n := dataFiles(t, b, "bkt"); n != 0 {
		t.Fatalf("%d data files leaked", n)
	}
}

// stressDir is a directory on tmpfs when there is one: real fsyncs (the
// race needs syncDir to open the directory) at memory speed, so thousands
// of trials fit in a test run.
func stressDir(t *testing.T) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "posix-stress-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// TestResendWhileCompletingStress runs issue 8's trigger as a client
// would: a part is re-sent while CompleteUpload runs (retrying with the
// current part list when the re-send won). Every acknowledged object must
// read back, and no data file may be left over. 2,500 trials; -short runs
// 250.
func TestResendWhileCompletingStress(t *testing.T) {
	trials := 2500
	if testing.Short() {
		trials = 250
	}
	b, err := New(stressDir(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCreateBucket(t, b, "bkt")
	// Widen the window between publishing a part record and fsyncing its
	// directory by up to 200µs, as a loaded machine would (the issue used
	// strace to delay a close there): without it the race is hit about
	// once in thousands of trials.
	testHook = func(p string) {
		if p == "part-published" {
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		}
	}
	defer func() { testHook = nil }()
	one, two := bytes.Repeat([]byte("1"), 3000), bytes.Repeat([]byte("2"), 2000)
	want := append(append([]byte{}, one...), two...)
	start := time.Now()
	var unreadable, commitErrs, completeAfterResend int
	for i := 0; i < trials; i++ {
		key := fmt.Sprintf("k%d", i%50)
		id, err := b.CreateUpload(ctx, "bkt", key, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustPart(t, b, "bkt", key, id, 1, one)
		mustPart(t, b, "bkt", key, id, 2, two)
		refs := currentRefs(t, b, "bkt", key, id)
		w, err := b.NewPart(ctx, "bkt", key, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(one)
		var wg sync.WaitGroup
		var cerr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.Commit(nil); err != nil && !errors.Is(err, backend.ErrNoSuchUpload) {
				cerr = err
			}
		}()
		var err2 error
		for attempt := 0; attempt < 5; attempt++ {
			_, err2 = b.CompleteUpload(ctx, "bkt", key, id, refs, nil)
			if !errors.Is(err2, backend.ErrInvalidPart) {
				break
			}
			completeAfterResend++ // the re-send won: complete with it, as a client retrying would
			refs = currentRefs(t, b, "bkt", key, id)
		}
		wg.Wait()
		if err2 != nil {
			t.Fatalf("trial %d: CompleteUpload = %v", i, err2)
		}
		if cerr != nil {
			commitErrs++
			t.Errorf("trial %d: re-sent part: %v", i, cerr)
		}
		o, err := b.Open(ctx, "bkt", key)
		if err == nil {
			buf := make([]byte, len(want)+1)
			n, _ := o.ReadAt(buf, 0)
			o.Close()
			if !bytes.Equal(buf[:n], want) {
				err = fmt.Errorf("read %d bytes, want %d", n, len(want))
			}
		}
		if err != nil {
			unreadable++
			t.Errorf("trial %d: acknowledged object unreadable: %v", i, err)
		}
	}
	if n := dataFiles(t, b, "bkt"); n != 2*50 && trials >= 50 {
		t.Errorf("%d data files for 50 two-part objects", n)
	}
	fmt.Printf("posix: re-send while completing: %d trials, %d unreadable acknowledged objects, %d failed re-sends, %d completes retried after the re-send won (%s)\n",
		trials, unreadable, commitErrs, completeAfterResend, time.Since(start).Round(time.Millisecond))
}
