package backendtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"envelopegw/backend"
)

// putCond writes and commits an object under cond and returns Commit's
// error (NewObject and Write must succeed).
func putCond(t *testing.T, b backend.Backend, bucket, key string, data []byte, meta backend.Meta, cond backend.Cond) error {
	t.Helper()
	w, err := b.NewObject(ctx, bucket, key, cond)
	if err != nil {
		t.Fatalf("NewObject(%q, %+v): %v", key, cond, err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write %q: %v", key, err)
	}
	return commitErr(w, meta)
}

func stat(t *testing.T, b backend.Backend, bucket, key string) backend.ObjectInfo {
	t.Helper()
	info, err := b.Stat(ctx, bucket, key)
	noErr(t, "Stat "+key, err)
	return info
}

// testVersions: every change of an object makes a new Version, and every
// way of reading the object reports the current one.
func testVersions(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	seen := map[string]bool{}
	fresh := func(what string, v string) {
		t.Helper()
		if v == "" || seen[v] {
			t.Fatalf("%s: version %q is empty or was seen before", what, v)
		}
		seen[v] = true
	}
	for i := range 3 {
		put(t, b, "bkt", "k", []byte("same bytes"), backend.Meta{"m": "same"})
		fresh(fmt.Sprintf("put %d", i), stat(t, b, "bkt", "k").Version)
	}
	put(t, b, "bkt", "empty", nil, nil)
	put(t, b, "bkt", "empty", nil, nil)
	info, err := b.SetMeta(ctx, "bkt", "k", backend.Meta{"m": "other"}, stat(t, b, "bkt", "k").ModTime)
	noErr(t, "SetMeta", err)
	fresh("SetMeta", info.Version)
	if got := stat(t, b, "bkt", "k").Version; got != info.Version {
		t.Fatalf("Stat version %q, SetMeta returned %q", got, info.Version)
	}
	_, oinfo := get(t, b, "bkt", "k")
	page, err := b.List(ctx, "bkt", backend.ListOptions{})
	noErr(t, "List", err)
	if oinfo.Version != info.Version || len(page.Objects) != 2 || page.Objects[1].Version != info.Version {
		t.Fatalf("Open reports %q, List %+v, want %q", oinfo.Version, page.Objects, info.Version)
	}
	if stat(t, b, "bkt", "empty").Version == info.Version {
		t.Fatal("two keys share a version")
	}
}

// testCondWrites: create-only and compare-and-swap commits and deletes.
func testCondWrites(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	absent := backend.Cond{IfAbsent: true}
	noErr(t, "create-only on a new key", putCond(t, b, "bkt", "k", []byte("one"), backend.Meta{"v": "1"}, absent))
	v1 := stat(t, b, "bkt", "k").Version
	wantErr(t, "create-only on an existing key", putCond(t, b, "bkt", "k", []byte("two"), nil, absent), backend.ErrPrecondition)
	mustGet(t, b, "bkt", "k", []byte("one"))

	wantErr(t, "IfVersion on a missing key", putCond(t, b, "bkt", "nokey", []byte("x"), nil, backend.Cond{IfVersion: v1}), backend.ErrPrecondition)
	wantErr(t, "IfVersion with a made-up version", putCond(t, b, "bkt", "k", []byte("x"), nil, backend.Cond{IfVersion: "not-a-version"}), backend.ErrPrecondition)
	noErr(t, "IfVersion current", putCond(t, b, "bkt", "k", []byte("two"), nil, backend.Cond{IfVersion: v1}))
	wantErr(t, "IfVersion stale", putCond(t, b, "bkt", "k", []byte("three"), nil, backend.Cond{IfVersion: v1}), backend.ErrPrecondition)
	mustGet(t, b, "bkt", "k", []byte("two"))
	if _, err := b.Stat(ctx, "bkt", "nokey"); !errors.Is(err, backend.ErrNoSuchKey) {
		t.Fatalf("a failed conditional write left an object: %v", err)
	}

	// A SetMeta changes the version too: a compare-and-swap based on the
	// version before it fails.
	v2 := stat(t, b, "bkt", "k").Version
	_, err := b.SetMeta(ctx, "bkt", "k", backend.Meta{"tag": "x"}, stat(t, b, "bkt", "k").ModTime)
	noErr(t, "SetMeta", err)
	wantErr(t, "IfVersion after SetMeta", b.Delete(ctx, "bkt", "k", backend.Cond{IfVersion: v2}), backend.ErrPrecondition)
	wantErr(t, "IfAbsent delete of an existing key", b.Delete(ctx, "bkt", "k", absent), backend.ErrPrecondition)
	mustGet(t, b, "bkt", "k", []byte("two"))
	noErr(t, "Delete IfVersion current", b.Delete(ctx, "bkt", "k", backend.Cond{IfVersion: stat(t, b, "bkt", "k").Version}))
	wantErr(t, "Delete IfVersion of a missing key", b.Delete(ctx, "bkt", "k", backend.Cond{IfVersion: v2}), backend.ErrNoSuchKey)
	noErr(t, "create-only after delete", putCond(t, b, "bkt", "k", []byte("again"), nil, absent))
}

// testCondComplete: a CompleteUpload whose condition fails leaves the
// upload intact, so it can be completed later.
func testCondComplete(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	put(t, b, "bkt", "k", []byte("old"), nil)
	old := stat(t, b, "bkt", "k")
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "CreateUpload", err)
	pid := putPart(t, b, "bkt", "k", id, 1, []byte("new"), nil)
	refs := []backend.PartRef{{Number: 1, ID: pid}}
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, refs, nil, backend.Cond{IfAbsent: true})
	wantErr(t, "create-only CompleteUpload over an object", err, backend.ErrPrecondition)
	mustGet(t, b, "bkt", "k", []byte("old"))
	_, err = b.StatUpload(ctx, "bkt", "k", id)
	noErr(t, "StatUpload after a failed conditional complete", err)

	put(t, b, "bkt", "k", []byte("newer"), nil)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, refs, nil, backend.Cond{IfVersion: old.Version})
	wantErr(t, "CompleteUpload with a stale version", err, backend.ErrPrecondition)
	info, err := b.CompleteUpload(ctx, "bkt", "k", id, refs, nil, backend.Cond{IfVersion: stat(t, b, "bkt", "k").Version})
	noErr(t, "CompleteUpload with the current version", err)
	mustGet(t, b, "bkt", "k", []byte("new"))
	if info.Version != stat(t, b, "bkt", "k").Version {
		t.Fatalf("CompleteUpload returned version %q, Stat says %q", info.Version, stat(t, b, "bkt", "k").Version)
	}
}

// testCondRace: of many create-only writers racing on one key, exactly one
// wins and its bytes are the object's.
func testCondRace(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	const n = 16
	for round := range 5 {
		key := fmt.Sprintf("race-%d", round)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w, err := b.NewObject(ctx, "bkt", key, backend.Cond{IfAbsent: true})
				if err != nil {
					errs[i] = err
					return
				}
				defer w.Abort()
				<-start
				if _, err := w.Write(pattern(byte(i), 1000+i)); err != nil {
					errs[i] = err
					return
				}
				errs[i] = commitErr(w, backend.Meta{"writer": fmt.Sprint(i)})
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, backend.ErrPrecondition):
				t.Fatalf("round %d: writer %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody won", round)
		}
		info := mustGet(t, b, "bkt", key, pattern(byte(winner), 1000+winner))
		if info.Meta["writer"] != fmt.Sprint(winner) {
			t.Fatalf("round %d: meta of writer %s, bytes of %d", round, info.Meta["writer"], winner)
		}
	}
}
