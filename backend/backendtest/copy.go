package backendtest

import (
	"bytes"
	"testing"

	"envelopegw/backend"
)

// testCopy: Copy makes an independent object with the source's bytes and
// new metadata, of the named source version only, under conditions.
func testCopy(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	mkBucket(t, b, "other")
	data := bytes.Repeat([]byte("0123456789abcdef"), 40000)
	put(t, b, "bkt", "src", data, backend.Meta{"m": "source"})
	st, err := b.Stat(ctx, "bkt", "src")
	noErr(t, "Stat", err)
	src := backend.CopySource{Bucket: "bkt", Key: "src", Version: st.Version}

	ci, err := b.Copy(ctx, src, "other", "dir/copy", backend.Meta{"m": "copy"})
	noErr(t, "Copy", err)
	cst, err := b.Stat(ctx, "other", "dir/copy")
	noErr(t, "Stat copy", err)
	sameInfo(t, "Copy", ci, cst)
	if cst.Version == st.Version && cst.Key == st.Key {
		t.Fatalf("copy has the source's identity: %+v", cst)
	}
	if info := mustGet(t, b, "other", "dir/copy", data); info.Meta["m"] != "copy" {
		t.Fatalf("copy meta = %v", info.Meta)
	}
	if info := mustGet(t, b, "bkt", "src", data); info.Meta["m"] != "source" || info.Version != st.Version {
		t.Fatalf("source changed by Copy: %+v", info)
	}

	// Independent: replacing the source, then deleting it, leaves the copy.
	put(t, b, "bkt", "src", []byte("new source"), nil)
	mustGet(t, b, "other", "dir/copy", data)
	_, err = b.Copy(ctx, src, "bkt", "late", nil)
	wantErr(t, "Copy of a replaced version", err, backend.ErrSourceChanged)
	noErr(t, "Delete source", b.Delete(ctx, "bkt", "src"))
	mustGet(t, b, "other", "dir/copy", data)
	// ... and the other way round.
	c2, err := b.Copy(ctx, backend.CopySource{Bucket: "other", Key: "dir/copy", Version: cst.Version}, "bkt", "second", nil)
	noErr(t, "Copy of the copy", err)
	noErr(t, "Delete copy", b.Delete(ctx, "other", "dir/copy"))
	if info := mustGet(t, b, "bkt", "second", data); info.Version != c2.Version {
		t.Fatalf("second copy changed: %+v, committed %+v", info, c2)
	}

	// A source that is gone.
	_, err = b.Copy(ctx, backend.CopySource{Bucket: "other", Key: "dir/copy", Version: cst.Version}, "bkt", "late", nil)
	wantErr(t, "Copy of a deleted object", err, backend.ErrNoSuchKey)
	if _, err := b.Stat(ctx, "bkt", "late"); err == nil {
		t.Fatal("a failed Copy left an object")
	}

	// Conditions on the destination, as for a commit.
	put(t, b, "bkt", "a", []byte("aaa"), nil)
	ast, err := b.Stat(ctx, "bkt", "a")
	noErr(t, "Stat", err)
	s2 := backend.CopySource{Bucket: "bkt", Key: "second", Version: c2.Version}
	_, err = b.Copy(ctx, s2, "bkt", "a", nil, backend.Cond{IfAbsent: true})
	wantErr(t, "Copy IfAbsent onto an object", err, backend.ErrPrecondition)
	_, err = b.Copy(ctx, s2, "bkt", "a", nil, backend.Cond{IfVersion: "nope"})
	wantErr(t, "Copy IfVersion mismatch", err, backend.ErrPrecondition)
	mustGet(t, b, "bkt", "a", []byte("aaa"))
	_, err = b.Copy(ctx, s2, "bkt", "a", backend.Meta{"over": "1"}, backend.Cond{IfVersion: ast.Version})
	noErr(t, "Copy IfVersion", err)
	mustGet(t, b, "bkt", "a", data)

	// An empty object, a missing bucket.
	put(t, b, "bkt", "empty", nil, nil)
	est, err := b.Stat(ctx, "bkt", "empty")
	noErr(t, "Stat", err)
	_, err = b.Copy(ctx, backend.CopySource{Bucket: "bkt", Key: "empty", Version: est.Version}, "bkt", "empty2", nil)
	noErr(t, "Copy empty", err)
	mustGet(t, b, "bkt", "empty2", []byte{})
	_, err = b.Copy(ctx, s2, "missing", "x", nil)
	wantErr(t, "Copy into a missing bucket", err, backend.ErrNoSuchBucket)
}

// testCopyMultipart: a multipart object's extents copy in order, and the
// copy survives the source's deletion.
func testCopyMultipart(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "mp", nil)
	noErr(t, "CreateUpload", err)
	p1 := bytes.Repeat([]byte{1}, 70000)
	p2 := bytes.Repeat([]byte{2}, 30000)
	id1 := putPart(t, b, "bkt", "mp", id, 1, p1, nil)
	id2 := putPart(t, b, "bkt", "mp", id, 2, p2, nil)
	info, err := b.CompleteUpload(ctx, "bkt", "mp", id, []backend.PartRef{{Number: 2, ID: id2}, {Number: 1, ID: id1}}, nil)
	noErr(t, "CompleteUpload", err)
	_, err = b.Copy(ctx, backend.CopySource{Bucket: "bkt", Key: "mp", Version: info.Version}, "bkt", "mp-copy", backend.Meta{"c": "1"})
	noErr(t, "Copy", err)
	noErr(t, "Delete source", b.Delete(ctx, "bkt", "mp"))
	mustGet(t, b, "bkt", "mp-copy", append(append([]byte{}, p2...), p1...))
}
