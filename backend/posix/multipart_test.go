package posix

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"

	"envelopegw/backend"
)

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestCompleteKeepsPartFiles: the completed object's extents are the
// parts' data files themselves, same paths and inodes, untouched since the
// part commits (same modification times): Complete neither copies nor
// moves nor rewrites part data.
func TestCompleteKeepsPartFiles(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	id, _ := b.CreateUpload(ctx, "bkt", "k", nil)
	var refs []backend.PartRef
	inodes := map[string]uint64{}
	mtimes := map[string]int64{}
	for n := 1; n <= 3; n++ {
		pid := mustPart(t, b, "bkt", "k", id, n, bytes.Repeat([]byte{byte(n)}, 100000))
		refs = append(refs, backend.PartRef{Number: n, ID: pid})
		inodes[pid] = inode(t, b.dataPath("bkt", pid))
		fi, _ := os.Stat(b.dataPath("bkt", pid))
		mtimes[pid] = fi.ModTime().UnixNano()
	}
	if _, err := b.CompleteUpload(ctx, "bkt", "k", id, refs, nil); err != nil {
		t.Fatal(err)
	}
	head, err := readRecord(b.headPath("bkt", "k"), kindHead)
	if err != nil {
		t.Fatal(err)
	}
	if len(head.Extents) != 3 {
		t.Fatalf("head has %d extents", len(head.Extents))
	}
	for i, e := range head.Extents {
		if e.ID != refs[i].ID {
			t.Fatalf("extent %d is %s, want part file %s", i, e.ID, refs[i].ID)
		}
		p := b.dataPath("bkt", e.ID)
		fi, _ := os.Stat(p)
		if inode(t, p) != inodes[e.ID] || fi.ModTime().UnixNano() != mtimes[e.ID] {
			t.Fatalf("part %d's data file was replaced or rewritten", i+1)
		}
	}
	if n := dataFiles(t, b, "bkt"); n != 3 {
		t.Fatalf("%d data files after Complete, want 3", n)
	}
}

// TestTwoInstances: two Backends on one root, as two gateway processes on
// one volume, cooperate on one upload and see each other's objects.
func TestTwoInstances(t *testing.T) {
	root := t.TempDir()
	a, err := New(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCreateBucket(t, a, "bkt")
	if err := b.CreateBucket(ctx, "bkt"); err == nil {
		t.Fatal("second instance created the same bucket")
	}
	id, err := a.CreateUpload(ctx, "bkt", "k", backend.Meta{"m": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := b.StatUpload(ctx, "bkt", "k", id); err != nil || u.Meta["m"] != "1" {
		t.Fatalf("StatUpload through the other instance = %+v, %v", u, err)
	}
	var wg sync.WaitGroup
	for n := 1; n <= 8; n++ {
		for _, be := range []*Backend{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w, err := be.NewPart(ctx, "bkt", "k", id, n)
				if err != nil {
					t.Error(err)
					return
				}
				w.Write(partData(n))
				if _, err := w.Commit(nil); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	parts, err := a.ListParts(ctx, "bkt", "k", id)
	if err != nil || len(parts) != 8 {
		t.Fatalf("ListParts = %v, %v", parts, err)
	}
	var refs []backend.PartRef
	var want []byte
	for _, p := range parts {
		refs = append(refs, backend.PartRef{Number: p.Number, ID: p.ID})
		want = append(want, partData(p.Number)...)
	}
	if _, err := b.CompleteUpload(ctx, "bkt", "k", id, refs, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, a, "bkt", "k"), want) {
		t.Fatal("object reads wrong through the other instance")
	}
	if n := dataFiles(t, a, "bkt"); n != 8 {
		t.Fatalf("%d data files, want 8: losing part versions leaked", n)
	}
}

// TestNoLeakUnderContention hammers one key from two instances with puts,
// multipart completes, SetMeta and deletes. Afterwards the data files are
// exactly the current head's extents: no replaced version leaked, no live
// one was removed.
func TestNoLeakUnderContention(t *testing.T) {
	root := t.TempDir()
	a, _ := New(root, Options{NoFsync: true})
	b, _ := New(root, Options{NoFsync: true})
	mustCreateBucket(t, a, "bkt")
	var wg sync.WaitGroup
	for g, be := range []*Backend{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				var err error
				switch (i + g) % 5 {
				case 0, 1:
					var w backend.Writer
					if w, err = be.NewObject(ctx, "bkt", "k"); err == nil {
						w.Write([]byte(fmt.Sprint(g, i)))
						_, err = w.Commit(backend.Meta{"g": fmt.Sprint(g)})
					}
				case 2:
					var id string
					if id, err = be.CreateUpload(ctx, "bkt", "k", nil); err == nil {
						var refs []backend.PartRef
						for n := 1; n <= 2 && err == nil; n++ {
							var w backend.Writer
							if w, err = be.NewPart(ctx, "bkt", "k", id, n); err == nil {
								w.Write(partData(n))
								_, err = w.Commit(nil)
							}
						}
						if err == nil {
							ps, _ := be.ListParts(ctx, "bkt", "k", id)
							for _, p := range ps {
								refs = append(refs, backend.PartRef{Number: p.Number, ID: p.ID})
							}
							_, err = be.CompleteUpload(ctx, "bkt", "k", id, refs, nil)
						}
					}
				case 3:
					_, err = be.SetMeta(ctx, "bkt", "k", backend.Meta{"set": fmt.Sprint(i)}, ts0)
				case 4:
					err = be.Delete(ctx, "bkt", "k")
				}
				if err != nil && !isNoSuchKey(err) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	want := 0
	if h, err := readRecord(a.headPath("bkt", "k"), kindHead); err == nil {
		want = len(h.Extents)
		mustRead(t, a, "bkt", "k")
	}
	if n := dataFiles(t, a, "bkt"); n != want {
		t.Fatalf("%d data files, current head has %d extents", n, want)
	}
	if left := tmpFiles(t, a, "bkt"); len(left) != 0 {
		t.Fatalf("tmp holds %q", left)
	}
}
