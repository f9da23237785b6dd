package backendtest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"envelopegw/backend"
)

// putPart writes and commits one part and returns its version ID.
func putPart(t *testing.T, b backend.Backend, bucket, key, id string, n int, data []byte, meta backend.Meta) string {
	t.Helper()
	w, err := b.NewPart(ctx, bucket, key, id, n)
	if err != nil {
		t.Fatalf("NewPart(%d): %v", n, err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatalf("part %d: Write: %v", n, err)
	}
	ci, err := w.Commit(meta)
	if err != nil {
		t.Fatalf("part %d: Commit: %v", n, err)
	}
	parts, err := b.ListParts(ctx, bucket, key, id)
	noErr(t, "ListParts", err)
	for _, p := range parts {
		if p.Number == n {
			// A part's Commit names the version it made by its ID.
			sameInfo(t, fmt.Sprintf("part %d Commit", n), ci,
				backend.ObjectInfo{Key: key, Size: p.Size, ModTime: p.ModTime, Meta: p.Meta, Version: p.ID})
			return p.ID
		}
	}
	t.Fatalf("part %d not listed after Commit", n)
	return ""
}

func testMultipart(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	before := time.Now().Add(-time.Second)
	id, err := b.CreateUpload(ctx, "bkt", "big/object", backend.Meta{"wrapped": "key\x00bytes"})
	noErr(t, "CreateUpload", err)
	if id == "" || strings.ContainsAny(id, "/\\") {
		t.Fatalf("upload ID %q", id)
	}
	up, err := b.StatUpload(ctx, "bkt", "big/object", id)
	noErr(t, "StatUpload", err)
	if up.Bucket != "bkt" || up.Key != "big/object" || up.UploadID != id || up.Initiated.Before(before) || up.Meta["wrapped"] != "key\x00bytes" {
		t.Fatalf("StatUpload = %+v", up)
	}
	parts, err := b.ListParts(ctx, "bkt", "big/object", id)
	noErr(t, "ListParts", err)
	if len(parts) != 0 {
		t.Fatalf("new upload has parts %+v", parts)
	}
	// Out of order, with a gap; sizes around buffer boundaries.
	data := map[int][]byte{3: pattern(3, 1<<20+1), 1: pattern(1, 5<<20), 10000: pattern(9, 1), 2: pattern(2, 0)}
	ids := map[int]string{}
	for _, n := range []int{3, 1, 10000, 2} {
		ids[n] = putPart(t, b, "bkt", "big/object", id, n, data[n], backend.Meta{"n": fmt.Sprint(n)})
	}
	parts, err = b.ListParts(ctx, "bkt", "big/object", id)
	noErr(t, "ListParts", err)
	var nums []int
	seen := map[string]bool{}
	for _, p := range parts {
		nums = append(nums, p.Number)
		if p.ID != ids[p.Number] || p.Size != int64(len(data[p.Number])) || p.Meta["n"] != fmt.Sprint(p.Number) || p.ModTime.IsZero() || seen[p.ID] {
			t.Fatalf("ListParts entry %+v", p)
		}
		seen[p.ID] = true
	}
	if !slices.Equal(nums, []int{1, 2, 3, 10000}) {
		t.Fatalf("ListParts numbers %v", nums)
	}
	// Not visible before Complete.
	_, err = b.Stat(ctx, "bkt", "big/object")
	wantErr(t, "Stat before Complete", err, backend.ErrNoSuchKey)

	refs := []backend.PartRef{{Number: 1, ID: ids[1]}, {Number: 2, ID: ids[2]}, {Number: 3, ID: ids[3]}, {Number: 10000, ID: ids[10000]}}
	info, err := b.CompleteUpload(ctx, "bkt", "big/object", id, refs, backend.Meta{"final": "yes"})
	noErr(t, "CompleteUpload", err)
	want := slices.Concat(data[1], data[2], data[3], data[10000])
	if info.Key != "big/object" || info.Size != int64(len(want)) || info.Meta["final"] != "yes" || info.ModTime.Before(before) {
		t.Fatalf("CompleteUpload = %+v", info)
	}
	got := mustGet(t, b, "bkt", "big/object", want)
	if !metaEqual(got.Meta, backend.Meta{"final": "yes"}) {
		t.Fatalf("completed object metadata %q", got.Meta)
	}
	// Reads that cross part boundaries.
	o, err := b.Open(ctx, "bkt", "big/object")
	noErr(t, "Open", err)
	for _, off := range []int64{0, 5<<20 - 3, 5 << 20, 6<<20 - 10, int64(len(want)) - 2} {
		buf := make([]byte, 17)
		n, _ := o.ReadAt(buf, off)
		if !bytes.Equal(buf[:n], want[off:off+int64(n)]) || n != min(17, len(want)-int(off)) {
			t.Fatalf("ReadAt across parts at %d: %d bytes, wrong", off, n)
		}
	}
	o.Close()

	_, err = b.StatUpload(ctx, "bkt", "big/object", id)
	wantErr(t, "StatUpload after Complete", err, backend.ErrNoSuchUpload)
	_, err = b.ListParts(ctx, "bkt", "big/object", id)
	wantErr(t, "ListParts after Complete", err, backend.ErrNoSuchUpload)
	_, err = b.NewPart(ctx, "bkt", "big/object", id, 1)
	wantErr(t, "NewPart after Complete", err, backend.ErrNoSuchUpload)
	_, err = b.CompleteUpload(ctx, "bkt", "big/object", id, refs, nil)
	wantErr(t, "CompleteUpload twice", err, backend.ErrNoSuchUpload)
	wantErr(t, "AbortUpload after Complete", b.AbortUpload(ctx, "bkt", "big/object", id), backend.ErrNoSuchUpload)
	page, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{})
	noErr(t, "ListUploads", err)
	if len(page.Uploads) != 0 {
		t.Fatalf("completed upload still listed: %+v", page.Uploads)
	}
	// The completed object is an object like any other.
	_, err = b.SetMeta(ctx, "bkt", "big/object", backend.Meta{"re": "wrapped"}, got.ModTime)
	noErr(t, "SetMeta on a completed object", err)
	mustGet(t, b, "bkt", "big/object", want)
	noErr(t, "Delete", b.Delete(ctx, "bkt", "big/object"))
	noErr(t, "DeleteBucket", b.DeleteBucket(ctx, "bkt"))
}

func testMultipartResend(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "CreateUpload", err)
	id1 := putPart(t, b, "bkt", "k", id, 1, []byte("first"), nil)
	id2 := putPart(t, b, "bkt", "k", id, 2, []byte("two"), nil)
	id1b := putPart(t, b, "bkt", "k", id, 1, []byte("FIRST, again"), backend.Meta{"resent": "1"})
	if id1b == id1 {
		t.Fatal("a re-sent part kept its version ID")
	}
	parts, err := b.ListParts(ctx, "bkt", "k", id)
	noErr(t, "ListParts", err)
	if len(parts) != 2 || parts[0].ID != id1b || parts[0].Size != 12 || parts[0].Meta["resent"] != "1" {
		t.Fatalf("ListParts after a re-send = %+v", parts)
	}
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 1, ID: id1}, {Number: 2, ID: id2}}, nil)
	wantErr(t, "CompleteUpload with a replaced part version", err, backend.ErrInvalidPart)
	_, err = b.Stat(ctx, "bkt", "k")
	wantErr(t, "Stat after a failed Complete", err, backend.ErrNoSuchKey)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 1, ID: id1b}, {Number: 2, ID: id2}}, nil)
	noErr(t, "CompleteUpload with the current versions", err)
	mustGet(t, b, "bkt", "k", []byte("FIRST, againtwo"))
}

// testMultipartConcurrent uploads parts in parallel, several writers per
// part number, as clients that retry on timeouts do. Exactly one version
// per number survives and it is one of the versions written.
func testMultipartConcurrent(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "CreateUpload", err)
	const numbers, senders = 12, 3
	content := func(n, s int) []byte { return pattern(byte(n*16+s), 20000+n*100+s) }
	var wg sync.WaitGroup
	errs := make(chan error, numbers*senders)
	for n := 1; n <= numbers; n++ {
		for s := 0; s < senders; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w, err := b.NewPart(ctx, "bkt", "k", id, n)
				if err != nil {
					errs <- err
					return
				}
				data := content(n, s)
				for i := 0; i < len(data); i += 4096 {
					if _, err := w.Write(data[i:min(i+4096, len(data))]); err != nil {
						errs <- err
						w.Abort()
						return
					}
				}
				errs <- commitErr(w, nil)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, "concurrent part upload", err)
	}
	parts, err := b.ListParts(ctx, "bkt", "k", id)
	noErr(t, "ListParts", err)
	if len(parts) != numbers {
		t.Fatalf("ListParts has %d parts, want %d (one per number): %+v", len(parts), numbers, parts)
	}
	var refs []backend.PartRef
	sizes := map[int]int64{}
	for i, p := range parts {
		if p.Number != i+1 {
			t.Fatalf("ListParts not sorted by number: %+v", parts)
		}
		refs = append(refs, backend.PartRef{Number: p.Number, ID: p.ID})
		sizes[p.Number] = p.Size
	}
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, refs, nil)
	noErr(t, "CompleteUpload", err)
	got, _ := get(t, b, "bkt", "k")
	for n := 1; n <= numbers; n++ {
		size := sizes[n]
		s := int(size) - 20000 - n*100
		if s < 0 || s >= senders {
			t.Fatalf("part %d has size %d, written by nobody", n, size)
		}
		want := content(n, s)
		if !bytes.HasPrefix(got, want) {
			t.Fatalf("part %d: object bytes are not the version its size names", n)
		}
		got = got[len(want):]
	}
}

func testMultipartSubset(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "CreateUpload", err)
	ids := map[int]string{}
	for n := 1; n <= 5; n++ {
		ids[n] = putPart(t, b, "bkt", "k", id, n, []byte(fmt.Sprintf("<%d>", n)), nil)
	}
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 2, ID: ids[2]}, {Number: 6, ID: ids[1]}}, nil)
	wantErr(t, "CompleteUpload naming a part never uploaded", err, backend.ErrInvalidPart)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 2, ID: ids[3]}}, nil)
	wantErr(t, "CompleteUpload with another part's ID", err, backend.ErrInvalidPart)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 2, ID: "../../x"}}, nil)
	wantErr(t, "CompleteUpload with a malformed ID", err, backend.ErrInvalidPart)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 2, ID: ids[2]}, {Number: 2, ID: ids[2]}}, nil)
	wantErr(t, "CompleteUpload naming a part twice", err, backend.ErrInvalidPart)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, nil, nil)
	wantErr(t, "CompleteUpload with no parts", err, backend.ErrInvalidPart)
	_, err = b.StatUpload(ctx, "bkt", "k", id)
	noErr(t, "StatUpload after failed Completes", err)
	// Parts 2 and 4 only, the rest is discarded.
	info, err := b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 2, ID: ids[2]}, {Number: 4, ID: ids[4]}}, nil)
	noErr(t, "CompleteUpload with a subset", err)
	if info.Size != 6 {
		t.Fatalf("CompleteUpload = %+v", info)
	}
	mustGet(t, b, "bkt", "k", []byte("<2><4>"))
}

func testMultipartAbort(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	put(t, b, "bkt", "k", []byte("existing"), nil)
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "CreateUpload", err)
	pid := putPart(t, b, "bkt", "k", id, 1, pattern(1, 100000), nil)
	// An aborted part writer leaves no part.
	w, err := b.NewPart(ctx, "bkt", "k", id, 2)
	noErr(t, "NewPart", err)
	w.Write([]byte("never"))
	noErr(t, "part Abort", w.Abort())
	// A part writer still open when the upload is aborted cannot commit.
	late, err := b.NewPart(ctx, "bkt", "k", id, 3)
	noErr(t, "NewPart", err)
	late.Write([]byte("late"))
	parts, _ := b.ListParts(ctx, "bkt", "k", id)
	if len(parts) != 1 {
		t.Fatalf("ListParts = %+v, want only part 1", parts)
	}
	noErr(t, "AbortUpload", b.AbortUpload(ctx, "bkt", "k", id))
	wantErr(t, "late part Commit", commitErr(late, nil), backend.ErrNoSuchUpload)
	_, err = b.StatUpload(ctx, "bkt", "k", id)
	wantErr(t, "StatUpload after Abort", err, backend.ErrNoSuchUpload)
	_, err = b.ListParts(ctx, "bkt", "k", id)
	wantErr(t, "ListParts after Abort", err, backend.ErrNoSuchUpload)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 1, ID: pid}}, nil)
	wantErr(t, "CompleteUpload after Abort", err, backend.ErrNoSuchUpload)
	wantErr(t, "AbortUpload twice", b.AbortUpload(ctx, "bkt", "k", id), backend.ErrNoSuchUpload)
	mustGet(t, b, "bkt", "k", []byte("existing"))
	page, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{})
	noErr(t, "ListUploads", err)
	if len(page.Uploads) != 0 {
		t.Fatalf("aborted upload still listed: %+v", page.Uploads)
	}
	noErr(t, "Delete", b.Delete(ctx, "bkt", "k"))
	noErr(t, "DeleteBucket after Abort", b.DeleteBucket(ctx, "bkt"))
}

func testMultipartErrors(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "CreateUpload", err)
	for _, n := range []int{0, -1, 10001} {
		if w, err := b.NewPart(ctx, "bkt", "k", id, n); err == nil {
			w.Write([]byte("x"))
			if commitErr(w, nil) == nil {
				t.Fatalf("part number %d accepted", n)
			}
		}
	}
	for _, bad := range []string{"", "..", "../" + id, id + "/..", "x", strings.ToUpper(id), id + "0", "/etc/passwd"} {
		_, err := b.StatUpload(ctx, "bkt", "k", bad)
		wantErr(t, fmt.Sprintf("StatUpload(%q)", bad), err, backend.ErrNoSuchUpload)
		_, err = b.NewPart(ctx, "bkt", "k", bad, 1)
		wantErr(t, fmt.Sprintf("NewPart(%q)", bad), err, backend.ErrNoSuchUpload)
		_, err = b.ListParts(ctx, "bkt", "k", bad)
		wantErr(t, fmt.Sprintf("ListParts(%q)", bad), err, backend.ErrNoSuchUpload)
		wantErr(t, fmt.Sprintf("AbortUpload(%q)", bad), b.AbortUpload(ctx, "bkt", "k", bad), backend.ErrNoSuchUpload)
	}
	// A malformed upload ID marker is refused with a key marker, ignored
	// without one.
	for _, bad := range []string{"x", strings.ToUpper(id), id + "0", "../" + id} {
		_, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{KeyMarker: "k", UploadIDMarker: bad})
		wantErr(t, fmt.Sprintf("ListUploads(upload ID marker %q)", bad), err, backend.ErrInvalidUploadIDMarker)
		if _, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{UploadIDMarker: bad}); err != nil {
			t.Fatalf("ListUploads(upload ID marker %q, no key marker): %v", bad, err)
		}
	}
	// An upload ID only works with its own key.
	_, err = b.StatUpload(ctx, "bkt", "other", id)
	wantErr(t, "StatUpload with the wrong key", err, backend.ErrNoSuchUpload)
	_, err = b.NewPart(ctx, "bkt", "other", id, 1)
	wantErr(t, "NewPart with the wrong key", err, backend.ErrNoSuchUpload)
	wantErr(t, "AbortUpload with the wrong key", b.AbortUpload(ctx, "bkt", "other", id), backend.ErrNoSuchUpload)
	pid := putPart(t, b, "bkt", "k", id, 1, []byte("x"), nil)
	_, err = b.CompleteUpload(ctx, "bkt", "other", id, []backend.PartRef{{Number: 1, ID: pid}}, nil)
	wantErr(t, "CompleteUpload with the wrong key", err, backend.ErrNoSuchUpload)
	_, err = b.StatUpload(ctx, "nobucket", "k", id)
	wantErr(t, "StatUpload in a missing bucket", err, backend.ErrNoSuchBucket)
	// Two uploads of one key are independent.
	id2, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "second CreateUpload", err)
	if id2 == id {
		t.Fatal("two uploads got the same ID")
	}
	pid2 := putPart(t, b, "bkt", "k", id2, 1, []byte("y"), nil)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id2, []backend.PartRef{{Number: 1, ID: pid}}, nil)
	wantErr(t, "CompleteUpload with another upload's part", err, backend.ErrInvalidPart)
	_, err = b.CompleteUpload(ctx, "bkt", "k", id2, []backend.PartRef{{Number: 1, ID: pid2}}, nil)
	noErr(t, "CompleteUpload", err)
	mustGet(t, b, "bkt", "k", []byte("y"))
	parts, err := b.ListParts(ctx, "bkt", "k", id)
	noErr(t, "ListParts of the other upload", err)
	if len(parts) != 1 || parts[0].ID != pid {
		t.Fatalf("completing one upload changed another: %+v", parts)
	}
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 1, ID: pid}}, nil)
	noErr(t, "CompleteUpload of the first upload", err)
	mustGet(t, b, "bkt", "k", []byte("x"))
}

func testMultipartReplaces(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	put(t, b, "bkt", "k", pattern(1, 5000), backend.Meta{"v": "old"})
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "CreateUpload", err)
	pid := putPart(t, b, "bkt", "k", id, 1, []byte("new"), nil)
	mustGet(t, b, "bkt", "k", pattern(1, 5000))
	_, err = b.CompleteUpload(ctx, "bkt", "k", id, []backend.PartRef{{Number: 1, ID: pid}}, backend.Meta{"v": "new"})
	noErr(t, "CompleteUpload over an object", err)
	info := mustGet(t, b, "bkt", "k", []byte("new"))
	if info.Meta["v"] != "new" {
		t.Fatalf("metadata %q", info.Meta)
	}
	// A PUT replaces a multipart object too.
	put(t, b, "bkt", "k", []byte("put"), nil)
	mustGet(t, b, "bkt", "k", []byte("put"))
}

type upRef struct{ key, id string }

func refUploads(all []upRef, o backend.UploadListOptions) (ups []upRef, cps []string, trunc bool, nextKey, nextID string) {
	max := o.MaxUploads
	if max <= 0 {
		max = 1000
	}
	n := 0
	for _, u := range all {
		if !strings.HasPrefix(u.key, o.Prefix) {
			continue
		}
		if u.key < o.KeyMarker || u.key == o.KeyMarker && (o.UploadIDMarker == "" || u.id <= o.UploadIDMarker) {
			continue
		}
		if o.Delimiter != "" {
			if i := strings.Index(u.key[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp := u.key[:len(o.Prefix)+i+len(o.Delimiter)]
				if cp <= o.KeyMarker || len(cps) > 0 && cps[len(cps)-1] == cp {
					continue
				}
				if n == max {
					return ups, cps, true, nextKey, nextID
				}
				n++
				cps = append(cps, cp)
				nextKey, nextID = cp, ""
				continue
			}
		}
		if n == max {
			return ups, cps, true, nextKey, nextID
		}
		n++
		ups = append(ups, u)
		nextKey, nextID = u.key, u.id
	}
	return ups, cps, false, "", ""
}

func testListUploads(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	var all []upRef
	for _, k := range []string{"b", "a/1", "a/2", "a", "c/d/e", "a/1", "b", "b", "z z"} {
		id, err := b.CreateUpload(ctx, "bkt", k, backend.Meta{"k": k})
		noErr(t, "CreateUpload", err)
		all = append(all, upRef{k, id})
	}
	// Order: key, then initiation, then ID. Uploads of one key were
	// created in order, so their order in all is their expected order.
	slices.SortStableFunc(all, func(x, y upRef) int { return strings.Compare(x.key, y.key) })
	page, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{})
	noErr(t, "ListUploads", err)
	if len(page.Uploads) != len(all) || page.IsTruncated {
		t.Fatalf("ListUploads returned %d uploads, want %d", len(page.Uploads), len(all))
	}
	for i, u := range page.Uploads {
		if u.Key != all[i].key || u.UploadID != all[i].id || u.Bucket != "bkt" || u.Meta["k"] != u.Key || u.Initiated.IsZero() {
			t.Fatalf("ListUploads[%d] = %+v, want %+v", i, u, all[i])
		}
		if i > 0 && u.Key == all[i-1].key && u.Initiated.Before(page.Uploads[i-1].Initiated) {
			t.Fatalf("uploads of %q not in initiation order", u.Key)
		}
	}
	for max := 1; max <= 4; max++ {
		for _, o := range []backend.UploadListOptions{
			{MaxUploads: max},
			{MaxUploads: max, Delimiter: "/"},
			{MaxUploads: max, Prefix: "a"},
			{MaxUploads: max, Prefix: "a/", Delimiter: "/"},
			{MaxUploads: max, KeyMarker: "a"},
			{MaxUploads: max, KeyMarker: "b", UploadIDMarker: all[4].id},
		} {
			for pages := 0; ; pages++ {
				if pages > len(all)+1 {
					t.Fatalf("ListUploads(%+v) does not end", o)
				}
				got, err := b.ListUploads(ctx, "bkt", o)
				noErr(t, "ListUploads", err)
				ups, cps, trunc, nk, ni := refUploads(all, o)
				var gotUps []upRef
				for _, u := range got.Uploads {
					gotUps = append(gotUps, upRef{u.Key, u.UploadID})
				}
				if !slices.Equal(gotUps, ups) || !slices.Equal(got.CommonPrefixes, cps) || got.IsTruncated != trunc ||
					trunc && (got.NextKeyMarker != nk || got.NextUploadIDMarker != ni) {
					t.Fatalf("ListUploads(%+v):\n got %v %q %v %q %q\nwant %v %q %v %q %q", o,
						gotUps, got.CommonPrefixes, got.IsTruncated, got.NextKeyMarker, got.NextUploadIDMarker,
						ups, cps, trunc, nk, ni)
				}
				if !trunc {
					break
				}
				o.KeyMarker, o.UploadIDMarker = got.NextKeyMarker, got.NextUploadIDMarker
			}
		}
	}
	// Completed and aborted uploads leave the listing.
	noErr(t, "AbortUpload", b.AbortUpload(ctx, "bkt", all[0].key, all[0].id))
	pid := putPart(t, b, "bkt", all[1].key, all[1].id, 1, []byte("x"), nil)
	_, err = b.CompleteUpload(ctx, "bkt", all[1].key, all[1].id, []backend.PartRef{{Number: 1, ID: pid}}, nil)
	noErr(t, "CompleteUpload", err)
	page, err = b.ListUploads(ctx, "bkt", backend.UploadListOptions{})
	noErr(t, "ListUploads", err)
	if len(page.Uploads) != len(all)-2 || page.Uploads[0].UploadID != all[2].id {
		t.Fatalf("after abort and complete, ListUploads = %+v", page.Uploads)
	}
}
