package backendtest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"envelopegw/backend"
)

func testObjectRoundTrip(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	for i, size := range []int{0, 1, 100, 64 << 10, 1<<20 + 7, 3<<20 + 1} {
		key := "obj/" + strings.Repeat("x", i)
		data := pattern(byte(i), size)
		before := time.Now().Add(-time.Second)
		// Write in uneven pieces, as a streaming caller does.
		w, err := b.NewObject(ctx, "bkt", key)
		noErr(t, "NewObject", err)
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+len(rest)/3, 333333)
			m, err := w.Write(rest[:n])
			if err != nil || m != n {
				t.Fatalf("Write = %d, %v", m, err)
			}
			rest = rest[n:]
		}
		ci, err := w.Commit(backend.Meta{"size": "x"})
		noErr(t, "Commit", err)
		info := mustGet(t, b, "bkt", key, data)
		if info.Key != key || info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Second)) || info.Meta["size"] != "x" {
			t.Fatalf("Info() = %+v", info)
		}
		st, err := b.Stat(ctx, "bkt", key)
		noErr(t, "Stat", err)
		if st.Key != key || st.Size != int64(size) || !st.ModTime.Equal(info.ModTime) || !metaEqual(st.Meta, info.Meta) {
			t.Fatalf("Stat = %+v, Open.Info = %+v", st, info)
		}
		sameInfo(t, "Commit", ci, st)
	}
	noErr(t, "Delete", b.Delete(ctx, "bkt", "obj/"))
	_, err := b.Stat(ctx, "bkt", "obj/")
	wantErr(t, "Stat after Delete", err, backend.ErrNoSuchKey)
	_, err = b.Open(ctx, "bkt", "obj/")
	wantErr(t, "Open after Delete", err, backend.ErrNoSuchKey)
	wantErr(t, "Delete twice", b.Delete(ctx, "bkt", "obj/"), backend.ErrNoSuchKey)
	mustGet(t, b, "bkt", "obj/x", pattern(1, 1))
}

func testReadAt(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	data := pattern(7, 100000)
	put(t, b, "bkt", "k", data, nil)
	o, err := b.Open(ctx, "bkt", "k")
	noErr(t, "Open", err)
	defer o.Close()
	check := func(off int64, n int, wantN int, wantEOF bool) {
		t.Helper()
		buf := make([]byte, n)
		got, err := o.ReadAt(buf, off)
		if got != wantN {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, want %d (err %v)", n, off, got, wantN, err)
		}
		if wantEOF && err != io.EOF || !wantEOF && err != nil {
			t.Fatalf("ReadAt(%d bytes at %d): err %v, want EOF %v", n, off, err, wantEOF)
		}
		if got > 0 && !bytes.Equal(buf[:got], data[off:off+int64(got)]) {
			t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", n, off)
		}
	}
	check(0, 10, 10, false)
	check(99990, 10, 10, false)
	check(99990, 20, 10, true)
	check(100000, 1, 0, true)
	check(200000, 1, 0, true)
	check(12345, 54321, 54321, false)
	if _, err := o.ReadAt(make([]byte, 1), -1); err == nil {
		t.Fatal("ReadAt at a negative offset succeeded")
	}
	// Concurrent ReadAt on one Object.
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 50; i++ {
				off := int64((g*7919 + i*104729) % 99000)
				buf := make([]byte, 1000)
				if _, err := o.ReadAt(buf, off); err != nil {
					done <- err
					return
				}
				if !bytes.Equal(buf, data[off:off+1000]) {
					done <- errors.New("concurrent ReadAt returned wrong bytes")
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		noErr(t, "concurrent ReadAt", <-done)
	}
	if info := o.Info(); info.Size != int64(len(data)) || info.Key != "k" {
		t.Fatalf("Info() = %+v", info)
	}
}

func testMissingObjects(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	put(t, b, "bkt", "a/b", []byte("x"), nil)
	for _, key := range []string{"a", "a/", "a/b/c", "b", "a/bb"} {
		_, err := b.Stat(ctx, "bkt", key)
		wantErr(t, "Stat("+key+")", err, backend.ErrNoSuchKey)
		_, err = b.Open(ctx, "bkt", key)
		wantErr(t, "Open("+key+")", err, backend.ErrNoSuchKey)
		wantErr(t, "Delete("+key+")", b.Delete(ctx, "bkt", key), backend.ErrNoSuchKey)
		_, err = b.SetMeta(ctx, "bkt", key, nil, time.Time{})
		wantErr(t, "SetMeta("+key+")", err, backend.ErrNoSuchKey)
	}
	_, err := b.Stat(ctx, "nobucket", "a/b")
	wantErr(t, "Stat in a missing bucket", err, backend.ErrNoSuchBucket)
	_, err = b.Open(ctx, "nobucket", "a/b")
	wantErr(t, "Open in a missing bucket", err, backend.ErrNoSuchBucket)
	wantErr(t, "Delete in a missing bucket", b.Delete(ctx, "nobucket", "a/b"), backend.ErrNoSuchBucket)
	_, err = b.List(ctx, "nobucket", backend.ListOptions{})
	wantErr(t, "List of a missing bucket", err, backend.ErrNoSuchBucket)
	_, err = b.CreateUpload(ctx, "nobucket", "k", nil)
	wantErr(t, "CreateUpload in a missing bucket", err, backend.ErrNoSuchBucket)
	if w, err := b.NewObject(ctx, "nobucket", "k"); err == nil {
		w.Write([]byte("x"))
		wantErr(t, "Commit in a missing bucket", commitErr(w, nil), backend.ErrNoSuchBucket)
	} else {
		wantErr(t, "NewObject in a missing bucket", err, backend.ErrNoSuchBucket)
	}
}

func testInvalidKeys(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	for _, key := range []string{"", strings.Repeat("k", 1025), "bad\xffutf8", "\xc3", "a/\xed\xa0\x80"} {
		_, err := b.NewObject(ctx, "bkt", key)
		wantErr(t, "NewObject with an invalid key", err, backend.ErrInvalidKey)
		_, err = b.Stat(ctx, "bkt", key)
		wantErr(t, "Stat with an invalid key", err, backend.ErrInvalidKey)
		_, err = b.Open(ctx, "bkt", key)
		wantErr(t, "Open with an invalid key", err, backend.ErrInvalidKey)
		wantErr(t, "Delete with an invalid key", b.Delete(ctx, "bkt", key), backend.ErrInvalidKey)
		_, err = b.CreateUpload(ctx, "bkt", key, nil)
		wantErr(t, "CreateUpload with an invalid key", err, backend.ErrInvalidKey)
	}
	// The longest valid key works, in one component and in many.
	for _, key := range []string{strings.Repeat("k", 1024), strings.Repeat("é/", 341) + "x", strings.Repeat("/", 1024)} {
		put(t, b, "bkt", key, []byte(key[:3]), nil)
		mustGet(t, b, "bkt", key, []byte(key[:3]))
	}
}

// specialKeys are keys that break naive mappings of keys to files.
var specialKeys = []string{
	"a", "a/", "a/b", "a//b", "a/b/", "/", "//", "/a", "//a", "a/./b", "a/../b", ".", "..",
	"./a", "../a", "../../etc/passwd", "a/..", "...", ".a", "a.", "%", "%2F", "%2e%2e", "a%/b",
	"sp ace", " ", "  /  ", "tab\there", "new\nline", "del\x7f", "back\\slash",
	"quote\"'`", "*?[]{}", "~user", "-rf", "+plus", "é", "e\u0301", "日本語/キー", "emoji 🦀",
	"\u202eRTL", "\ufeffbom", strings.Repeat("long", 100), strings.Repeat("ü", 200) + "/x",
	strings.Repeat("a", 255), strings.Repeat("a", 256) + "/" + strings.Repeat("b", 300),
	"x/" + strings.Repeat("%", 400), "CON", "aux.txt", "a:b", "trailing.",
	"objects", "data", "uploads", "tmp", "locks", "bucket", ".envelopegw",
}

func testSpecialKeys(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	for i, key := range specialKeys {
		put(t, b, "bkt", key, []byte(key), backend.Meta{"i": string(rune('A' + i))})
	}
	for _, key := range specialKeys {
		info := mustGet(t, b, "bkt", key, []byte(key))
		if info.Key != key {
			t.Fatalf("Info().Key = %q, want %q", info.Key, key)
		}
	}
	// They list in byte order, exactly once each.
	assertListing(t, b, "bkt", specialKeys, backend.ListOptions{})
	assertListing(t, b, "bkt", specialKeys, backend.ListOptions{Delimiter: "/"})
	assertListing(t, b, "bkt", specialKeys, backend.ListOptions{Prefix: "a/", Delimiter: "/"})
	assertListing(t, b, "bkt", specialKeys, backend.ListOptions{Prefix: "..", Delimiter: "/"})
	for _, key := range specialKeys {
		noErr(t, "Delete", b.Delete(ctx, "bkt", key))
	}
	page, err := b.List(ctx, "bkt", backend.ListOptions{})
	noErr(t, "List", err)
	if len(page.Objects) != 0 {
		t.Fatalf("after deleting every key, List returns %d objects", len(page.Objects))
	}
	noErr(t, "DeleteBucket", b.DeleteBucket(ctx, "bkt"))
}

func testMeta(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	meta := backend.Meta{
		"content-type": "application/octet-stream",
		"newline":      "line1\nline2\r\n",
		"binary":       "\x00\x01\xff\xfe not utf-8 \xc3",
		"empty":        "",
		"unicode":      "日本語 🦀",
	}
	put(t, b, "bkt", "k", []byte("data"), meta)
	_, info := get(t, b, "bkt", "k")
	if !metaEqual(info.Meta, meta) {
		t.Fatalf("Meta = %q, want %q", info.Meta, meta)
	}
	// The store keeps its own copy.
	meta["content-type"] = "changed"
	st, _ := b.Stat(ctx, "bkt", "k")
	if st.Meta["content-type"] != "application/octet-stream" {
		t.Fatal("changing the caller's map changed the stored metadata")
	}
	put(t, b, "bkt", "nil", nil, nil)
	st, err := b.Stat(ctx, "bkt", "nil")
	noErr(t, "Stat", err)
	if len(st.Meta) != 0 || st.Size != 0 {
		t.Fatalf("nil metadata and no data read back as %+v", st)
	}
	page, err := b.List(ctx, "bkt", backend.ListOptions{})
	noErr(t, "List", err)
	if len(page.Objects) != 2 || !metaEqual(page.Objects[0].Meta, info.Meta) || page.Objects[0].Size != 4 ||
		!page.Objects[0].ModTime.Equal(info.ModTime) || len(page.Objects[1].Meta) != 0 {
		t.Fatalf("List = %+v: want sizes, times and metadata", page.Objects)
	}
}

func testMetaLimit(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	const limit = 1 << 20
	exact := backend.Meta{"big": strings.Repeat("v", limit-len("big"))}
	over := backend.Meta{"big": strings.Repeat("v", limit-len("big")), "x": ""}
	put(t, b, "bkt", "exact", []byte("d"), exact)
	st, err := b.Stat(ctx, "bkt", "exact")
	noErr(t, "Stat", err)
	if !metaEqual(st.Meta, exact) {
		t.Fatal("1 MiB of metadata did not round-trip")
	}
	w, err := b.NewObject(ctx, "bkt", "over")
	noErr(t, "NewObject", err)
	w.Write([]byte("d"))
	wantErr(t, "Commit with too much metadata", commitErr(w, over), backend.ErrMetadataTooLarge)
	w.Abort()
	_, err = b.Stat(ctx, "bkt", "over")
	wantErr(t, "Stat after a rejected Commit", err, backend.ErrNoSuchKey)
	_, err = b.SetMeta(ctx, "bkt", "exact", over, time.Time{})
	wantErr(t, "SetMeta with too much metadata", err, backend.ErrMetadataTooLarge)
	_, err = b.CreateUpload(ctx, "bkt", "mp", over)
	wantErr(t, "CreateUpload with too much metadata", err, backend.ErrMetadataTooLarge)
	id, err := b.CreateUpload(ctx, "bkt", "mp", exact)
	noErr(t, "CreateUpload with 1 MiB of metadata", err)
	pw, err := b.NewPart(ctx, "bkt", "mp", id, 1)
	noErr(t, "NewPart", err)
	pw.Write([]byte("p"))
	wantErr(t, "part Commit with too much metadata", commitErr(pw, over), backend.ErrMetadataTooLarge)
	pw.Abort()
	pw, err = b.NewPart(ctx, "bkt", "mp", id, 1)
	noErr(t, "NewPart", err)
	pw.Write([]byte("p"))
	noErr(t, "part Commit", commitErr(pw, nil))
	parts, err := b.ListParts(ctx, "bkt", "mp", id)
	noErr(t, "ListParts", err)
	refs := []backend.PartRef{{Number: 1, ID: parts[0].ID}}
	_, err = b.CompleteUpload(ctx, "bkt", "mp", id, refs, over)
	wantErr(t, "CompleteUpload with too much metadata", err, backend.ErrMetadataTooLarge)
	_, err = b.CompleteUpload(ctx, "bkt", "mp", id, refs, exact)
	noErr(t, "CompleteUpload with 1 MiB of metadata", err)
}

func testSetMeta(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	data := pattern(3, 5000)
	put(t, b, "bkt", "k", data, backend.Meta{"v": "1"})
	st, err := b.Stat(ctx, "bkt", "k")
	noErr(t, "Stat", err)

	info, err := b.SetMeta(ctx, "bkt", "k", backend.Meta{"v": "2", "new": "x"}, st.ModTime)
	noErr(t, "SetMeta with the current ModTime", err)
	if info.Meta["v"] != "2" || info.Meta["new"] != "x" || len(info.Meta) != 2 || info.Size != 5000 || info.Key != "k" {
		t.Fatalf("SetMeta returned %+v", info)
	}
	if !info.ModTime.After(st.ModTime) {
		t.Fatalf("SetMeta did not advance ModTime: %v then %v", st.ModTime, info.ModTime)
	}
	got := mustGet(t, b, "bkt", "k", data)
	if !metaEqual(got.Meta, info.Meta) || !got.ModTime.Equal(info.ModTime) {
		t.Fatalf("after SetMeta: %+v, want %+v", got, info)
	}

	// The old ModTime is stale now: a read-modify-write based on it fails.
	_, err = b.SetMeta(ctx, "bkt", "k", backend.Meta{"v": "lost"}, st.ModTime)
	wantErr(t, "SetMeta with a stale ModTime", err, backend.ErrPrecondition)
	cur, _ := b.Stat(ctx, "bkt", "k")
	if cur.Meta["v"] != "2" {
		t.Fatalf("failed SetMeta changed the metadata to %q", cur.Meta)
	}
	// A zero ifModTime is unconditional.
	_, err = b.SetMeta(ctx, "bkt", "k", nil, time.Time{})
	noErr(t, "unconditional SetMeta", err)
	cur, _ = b.Stat(ctx, "bkt", "k")
	if len(cur.Meta) != 0 {
		t.Fatalf("SetMeta(nil) left %q", cur.Meta)
	}

	// Concurrent read-modify-write: every writer reads, then sets with the
	// ModTime it read. Exactly the winners' changes survive, none is lost
	// silently.
	const n = 8
	errs := make(chan error, n)
	base, _ := b.Stat(ctx, "bkt", "k")
	for i := 0; i < n; i++ {
		go func() {
			_, err := b.SetMeta(ctx, "bkt", "k", backend.Meta{"w": string(rune('a' + i))}, base.ModTime)
			errs <- err
		}()
	}
	wins := 0
	for i := 0; i < n; i++ {
		if err := <-errs; err == nil {
			wins++
		} else {
			wantErr(t, "racing SetMeta", err, backend.ErrPrecondition)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d SetMeta calls with the same ifModTime succeeded, want 1", wins, n)
	}
	mustGet(t, b, "bkt", "k", data)
}

func testReplace(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	put(t, b, "bkt", "k", pattern(1, 3000), backend.Meta{"v": "1"})
	put(t, b, "bkt", "k", pattern(2, 10), backend.Meta{"v": "2"})
	info := mustGet(t, b, "bkt", "k", pattern(2, 10))
	if info.Meta["v"] != "2" {
		t.Fatalf("replaced object has metadata %q", info.Meta)
	}
	put(t, b, "bkt", "k", nil, nil)
	info = mustGet(t, b, "bkt", "k", nil)
	if len(info.Meta) != 0 {
		t.Fatalf("replaced object has metadata %q", info.Meta)
	}
	page, _ := b.List(ctx, "bkt", backend.ListOptions{})
	if len(page.Objects) != 1 {
		t.Fatalf("after replacing one key, List returns %d objects", len(page.Objects))
	}
}

func testWriterLifecycle(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	w, err := b.NewObject(ctx, "bkt", "k")
	noErr(t, "NewObject", err)
	w.Write([]byte("one"))
	noErr(t, "Commit", commitErr(w, nil))
	noErr(t, "Abort after Commit", w.Abort())
	if _, err := w.Write([]byte("more")); err == nil {
		t.Fatal("Write after Commit succeeded")
	}
	if _, err := w.Commit(nil); err == nil {
		t.Fatal("second Commit succeeded")
	}
	mustGet(t, b, "bkt", "k", []byte("one"))

	w, err = b.NewObject(ctx, "bkt", "k")
	noErr(t, "NewObject", err)
	w.Write([]byte("two"))
	noErr(t, "Abort", w.Abort())
	noErr(t, "second Abort", w.Abort())
	if _, err := w.Commit(nil); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	mustGet(t, b, "bkt", "k", []byte("one"))
}

func testUncommittedInvisible(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	put(t, b, "bkt", "old", []byte("old"), nil)
	w1, err := b.NewObject(ctx, "bkt", "new")
	noErr(t, "NewObject", err)
	w1.Write(pattern(1, 100000))
	w2, err := b.NewObject(ctx, "bkt", "old")
	noErr(t, "NewObject", err)
	w2.Write(pattern(2, 100000))
	check := func() {
		t.Helper()
		_, err := b.Stat(ctx, "bkt", "new")
		wantErr(t, "Stat of an uncommitted object", err, backend.ErrNoSuchKey)
		mustGet(t, b, "bkt", "old", []byte("old"))
		page, err := b.List(ctx, "bkt", backend.ListOptions{})
		noErr(t, "List", err)
		if len(page.Objects) != 1 || page.Objects[0].Key != "old" || page.Objects[0].Size != 3 {
			t.Fatalf("List shows uncommitted writes: %+v", page.Objects)
		}
	}
	check()
	noErr(t, "Abort", w1.Abort())
	noErr(t, "Abort", w2.Abort())
	check()
	// A writer that is simply dropped (its caller crashed) shows nothing
	// either; its leftovers are the store's business.
	w3, err := b.NewObject(ctx, "bkt", "dropped")
	noErr(t, "NewObject", err)
	w3.Write([]byte("x"))
	_, err = b.Stat(ctx, "bkt", "dropped")
	wantErr(t, "Stat of a dropped writer's object", err, backend.ErrNoSuchKey)
	w3.Abort()
}
