package posix

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"envelopegw/backend"
)

var randomSuffix = regexp.MustCompile(`(-[0-9a-f]{16})?-[0-9a-f]{32}`)

// recordSyncs collects the paths fsynced while fn runs, relative to the
// bucket directory.
func recordSyncs(t *testing.T, b *Backend, fn func()) []string {
	t.Helper()
	var mu sync.Mutex
	var got []string
	syncHook = func(p string) {
		mu.Lock()
		defer mu.Unlock()
		rel, _ := filepath.Rel(b.bucketDir("bkt"), p)
		// Random names vary; keep their role.
		rel = randomSuffix.ReplaceAllString(rel, "")
		if strings.HasPrefix(rel, "uploads/") {
			rel = "uploads/ID" + rel[len("uploads/")+uploadIDLen:]
		}
		got = append(got, rel)
	}
	defer func() { syncHook = nil }()
	fn()
	return got
}

func wantSyncs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s fsynced\n  %q\nwant\n  %q", what, got, want)
	}
}

// TestFsyncOrder checks that every commit fsyncs what it writes and the
// directories it changes, in an order that makes a record durable only
// after what it references.
func TestFsyncOrder(t *testing.T) {
	b := newTestBackend(t, Options{})
	got := recordSyncs(t, b, func() { mustCreateBucket(t, b, "bkt") })
	if len(got) != 3 || !strings.HasSuffix(got[0], "/bucket") || got[2] != ".." {
		t.Errorf("CreateBucket fsynced %q, want the record, the new directory, buckets/", got)
	}
	got = recordSyncs(t, b, func() { mustPut(t, b, "bkt", "dir/k", []byte("data"), nil) })
	// One file (data and head, inline.go), objects/ (new directory), its directory.
	wantSyncs(t, "first PUT", got, "tmp/obj", "objects", "objects/ddir")
	got = recordSyncs(t, b, func() { mustPut(t, b, "bkt", "dir/k", nil, nil) })
	wantSyncs(t, "empty replacing PUT", got, "tmp/obj", "objects/ddir")
	mustPut(t, b, "bkt", "dir/inl", []byte("inline data"), nil)
	got = recordSyncs(t, b, func() {
		if _, err := b.SetMeta(ctx, "bkt", "dir/inl", backend.Meta{"a": "b"}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	})
	// The inline data becomes a data file: its directories (data/, when
	// the fan directory is new, and data/<xx>) before the head.
	if n := len(got); n < 3 || !strings.HasPrefix(got[n-3], "data/") || got[n-2] != "tmp/head" || got[n-1] != "objects/ddir" {
		t.Errorf("SetMeta of an inline object fsynced %q", got)
	}

	var id string
	got = recordSyncs(t, b, func() {
		var err error
		if id, err = b.CreateUpload(ctx, "bkt", "mp", nil); err != nil {
			t.Fatal(err)
		}
	})
	wantSyncs(t, "CreateUpload", got, "tmp/upload/upload", "tmp/upload", "uploads")
	var pid string
	got = recordSyncs(t, b, func() { pid = mustPart(t, b, "bkt", "mp", id, 1, []byte("p")) })
	// One file (data and part record, partfile.go), its data/ directories
	// (data/ too when the fan directory is new), the upload directory.
	if n := len(got); n < 3 || n > 4 || got[0] != "tmp/data" || !strings.HasPrefix(got[n-2], "data/") || got[n-1] != "uploads/ID" {
		t.Errorf("part commit fsynced %q", got)
	}
	got = recordSyncs(t, b, func() { pid = mustPart(t, b, "bkt", "mp", id, 1, []byte("p2")) })
	if n := len(got); n < 3 || n > 4 || got[0] != "tmp/data" || !strings.HasPrefix(got[n-2], "data/") || got[n-1] != "uploads/ID" {
		t.Errorf("re-sent part fsynced %q, want the file, its data/ directories, the upload directory", got)
	}
	got = recordSyncs(t, b, func() {
		if _, err := b.CompleteUpload(ctx, "bkt", "mp", id, []backend.PartRef{{Number: 1, ID: pid}}, nil); err != nil {
			t.Fatal(err)
		}
	})
	wantSyncs(t, "CompleteUpload", got, "tmp/head", "objects", "uploads")
	got = recordSyncs(t, b, func() {
		if _, err := b.SetMeta(ctx, "bkt", "mp", backend.Meta{"a": "b"}, ts0); err != nil {
			t.Fatal(err)
		}
	})
	wantSyncs(t, "SetMeta", got, "tmp/head", "objects")
	got = recordSyncs(t, b, func() {
		if err := b.Delete(ctx, "bkt", "dir/k"); err != nil {
			t.Fatal(err)
		}
	})
	wantSyncs(t, "Delete", got, "objects/ddir")

	nb := newTestBackend(t, Options{NoFsync: true})
	got = recordSyncs(t, nb, func() {
		mustCreateBucket(t, nb, "bkt")
		mustPut(t, nb, "bkt", "a/b", []byte("x"), nil)
	})
	wantSyncs(t, "NoFsync", got)
}

// TestDeleteBucketRace races DeleteBucket against commits: a commit that
// succeeded must leave an object in a bucket that still exists.
func TestDeleteBucketRace(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	for i := 0; i < 50; i++ {
		mustCreateBucket(t, b, "bkt")
		w, err := b.NewObject(ctx, "bkt", "k")
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x"))
		done := make(chan error)
		go func() { done <- b.DeleteBucket(ctx, "bkt") }()
		cerr := commitErr(w, nil)
		derr := <-done
		switch {
		case cerr == nil && derr == nil:
			t.Fatal("both the commit and DeleteBucket succeeded: an acknowledged object is lost")
		case cerr == nil:
			if !errors.Is(derr, backend.ErrBucketNotEmpty) {
				t.Fatalf("DeleteBucket = %v", derr)
			}
			if err := b.Delete(ctx, "bkt", "k"); err != nil {
				t.Fatal(err)
			}
			if err := b.DeleteBucket(ctx, "bkt"); err != nil {
				t.Fatal(err)
			}
		default:
			if !errors.Is(cerr, backend.ErrNoSuchBucket) {
				t.Fatalf("commit into a deleted bucket = %v", cerr)
			}
		}
	}
	if names, _ := readNames(b.bucketsDir()); len(names) != 0 {
		t.Fatalf("buckets/ holds %q", names)
	}
}

// TestErrorsSayWhere: errors name the bucket and key and wrap the
// sentinels.
func TestErrorsSayWhere(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	_, err := b.Stat(ctx, "bkt", "some/key")
	if !errors.Is(err, backend.ErrNoSuchKey) || !strings.Contains(err.Error(), "bkt/some/key") {
		t.Errorf("Stat: %v", err)
	}
	_, err = b.Stat(ctx, "nob", "some/key")
	if !errors.Is(err, backend.ErrNoSuchBucket) || !strings.Contains(err.Error(), "nob") {
		t.Errorf("Stat in a missing bucket: %v", err)
	}
	mustPut(t, b, "bkt", "x", nil, nil)
	err = b.DeleteBucket(ctx, "bkt")
	if !errors.Is(err, backend.ErrBucketNotEmpty) || !strings.Contains(err.Error(), "bkt has objects") {
		t.Errorf("DeleteBucket: %v", err)
	}
	mustPut(t, b, "bkt", "x", []byte("data"), nil)
	st, _ := b.Stat(ctx, "bkt", "x")
	mustPut(t, b, "bkt", "x", []byte("other"), nil)
	err = b.Delete(ctx, "bkt", "x", backend.Cond{IfVersion: st.Version})
	if !errors.Is(err, backend.ErrPrecondition) || !strings.Contains(err.Error(), "bkt/x") {
		t.Errorf("conditional Delete: %v", err)
	}
}
