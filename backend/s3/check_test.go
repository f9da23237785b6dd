package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend"
)

// rawGet and rawPut edit upstream objects behind the backend's back.
func rawGet(t *testing.T, b *Backend, name string) []byte {
	t.Helper()
	o, err := b.c.GetObject(context.Background(), b.bucket, b.base+name, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("GET %s: %v", name, err)
	}
	return data
}

func rawPut(t *testing.T, b *Backend, name string, data []byte) {
	t.Helper()
	if _, err := b.c.PutObject(context.Background(), b.bucket, b.base+name, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

type syncBuf struct {
	mu sync.Mutex
	bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Buffer.Write(p)
}

// TestSwappedHeads: two heads swapped upstream are skipped by List, which
// logs them, and reported by Check, each under the key its name stands
// for; a damaged record costs only its own key.
func TestSwappedHeads(t *testing.T) {
	t.Parallel()
	b, _ := sharedBackend(t)
	var logs syncBuf
	b.logger = slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		putSmall(t, b, "bkt", k)
	}
	gen, _ := b.gen(ctx, "bkt")
	ha, hb := strings.TrimPrefix(b.headName("bkt", gen, "a"), b.base), strings.TrimPrefix(b.headName("bkt", gen, "b"), b.base)
	da, db := rawGet(t, b, ha), rawGet(t, b, hb)
	rawPut(t, b, ha, db)
	rawPut(t, b, hb, da)
	rawPut(t, b, strings.TrimPrefix(b.headName("bkt", gen, "c"), b.base), []byte("{not json"))

	page, err := b.List(ctx, "bkt", backend.ListOptions{})
	if err != nil || len(page.Objects) != 0 {
		t.Fatalf("List of swapped and undecodable heads: %+v, %v; want nothing listed", page.Objects, err)
	}
	for _, want := range []string{`names_key=b`, `names_key=a`, "kind=head"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("List's log lacks %q:\n%s", want, logs.String())
		}
	}
	putSmall(t, b, "bkt", "d")
	if page, err := b.List(ctx, "bkt", backend.ListOptions{}); err != nil || len(page.Objects) != 1 || page.Objects[0].Key != "d" {
		t.Fatalf("List beside damaged heads: %+v, %v; want d", page.Objects, err)
	}

	rep, err := b.Check(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range rep.Damaged {
		got[d.Key] = d.Kind + ": " + d.Err.Error()
	}
	if len(rep.Damaged) != 3 || !strings.Contains(got["a"], `names key "b"`) || !strings.Contains(got["b"], `names key "a"`) || !strings.Contains(got["c"], "does not decode") {
		t.Fatalf("Check found %+v, want a, b and c damaged", rep.Damaged)
	}
	if rep.Buckets != 1 || rep.Heads != 4 || rep.Unindexed != 0 {
		t.Fatalf("Check report %+v", rep)
	}
	if _, err := b.Stat(ctx, "bkt", "a"); !errors.Is(err, errDamaged) {
		t.Fatalf("Stat of a swapped head: %v", err)
	}
	// Overwriting or deleting a damaged key repairs it.
	putSmall(t, b, "bkt", "a")
	if err := b.Delete(ctx, "bkt", "c"); err != nil {
		t.Fatalf("Delete of an undecodable head: %v", err)
	}
	if rep, err := b.Check(ctx, false); err != nil || len(rep.Damaged) != 1 || rep.Damaged[0].Key != "b" {
		t.Fatalf("after overwriting a and deleting c: %+v, %v", rep.Damaged, err)
	}
	if page, err := b.List(ctx, "bkt", backend.ListOptions{}); err != nil || len(page.Objects) != 2 {
		t.Fatalf("List after the repairs: %+v, %v; want a and d", page.Objects, err)
	}
}

// TestReindex: a store written before the indexes existed (every index
// entry removed here) lists nothing; Check counts the records without an
// entry, Check with reindex creates them, and a second run finds nothing
// to do, so an interrupted run is resumed by running it again.
func TestReindex(t *testing.T) {
	t.Parallel()
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", strings.Repeat("long", 120)} {
		putSmall(t, b, "bkt", k)
	}
	id, err := b.CreateUpload(ctx, "bkt", "up", nil)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		if _, err := sendPart(ctx, b, "bkt", "up", id, n); err != nil {
			t.Fatal(err)
		}
	}
	for _, idx := range []string{"l/", "i/", "ui/", "pi/"} {
		if err := b.removePrefix(ctx, b.base+idx); err != nil {
			t.Fatal(err)
		}
	}
	if bs, _ := b.ListBuckets(ctx); len(bs) != 0 {
		t.Fatalf("without its index entries ListBuckets found %+v", bs)
	}
	rep, err := b.Check(ctx, false)
	if err != nil || rep.Unindexed != 7 || rep.Indexed != 0 || len(rep.Damaged) != 0 || rep.Heads != 3 || rep.Uploads != 1 || rep.Parts != 2 {
		t.Fatalf("Check of an unindexed store: %+v, %v; want a bucket, 3 heads, 1 upload and 2 parts, none indexed", rep, err)
	}
	if rep, err = b.Check(ctx, true); err != nil || rep.Unindexed != 7 || rep.Indexed != 7 {
		t.Fatalf("Check with reindex: %+v, %v; want 7 indexed", rep, err)
	}
	if rep, err = b.Check(ctx, true); err != nil || rep.Unindexed != 0 || rep.Indexed != 0 {
		t.Fatalf("second Check with reindex: %+v, %v; want nothing to do", rep, err)
	}
	if bs, err := b.ListBuckets(ctx); err != nil || len(bs) != 1 {
		t.Fatalf("ListBuckets after reindexing: %+v, %v", bs, err)
	}
	if page, err := b.List(ctx, "bkt", backend.ListOptions{}); err != nil || len(page.Objects) != 3 {
		t.Fatalf("List after reindexing: %+v, %v", page.Objects, err)
	}
	if page, err := b.ListUploads(ctx, "bkt", backend.UploadListOptions{}); err != nil || len(page.Uploads) != 1 {
		t.Fatalf("ListUploads after reindexing: %+v, %v", page.Uploads, err)
	}
	if ps, err := b.ListParts(ctx, "bkt", "up", id); err != nil || len(ps) != 2 {
		t.Fatalf("ListParts after reindexing: %+v, %v", ps, err)
	}
	// A delete after the reindex drops its entry again.
	if err := b.Delete(ctx, "bkt", "a"); err != nil {
		t.Fatal(err)
	}
	if rep, err = b.Check(ctx, true); err != nil || rep.Unindexed != 0 || rep.Heads != 2 {
		t.Fatalf("Check after a delete: %+v, %v", rep, err)
	}
}

// TestDeleteBucketSeesUnindexedKeys: DeleteBucket of a bucket whose keys
// have no index entries (a store written before the key index) must find
// it not empty, not delete the objects with it.
func TestDeleteBucketSeesUnindexedKeys(t *testing.T) {
	t.Parallel()
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	putSmall(t, b, "bkt", "a")
	if err := b.removePrefix(ctx, b.base+"i/"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteBucket(ctx, "bkt"); !errors.Is(err, backend.ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket of a bucket with an unindexed key: %v, want ErrBucketNotEmpty", err)
	}
	if _, err := b.Stat(ctx, "bkt", "a"); err != nil {
		t.Fatalf("the unindexed object after DeleteBucket: %v", err)
	}
}

// TestUploadAcrossIndexUpgrade: the parts of an upload that was in flight
// when the part index came (no entries) are still listed and completed.
func TestUploadAcrossIndexUpgrade(t *testing.T) {
	t.Parallel()
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	var refs []backend.PartRef
	for n := 1; n <= 2; n++ {
		v, err := sendPart(ctx, b, "bkt", "k", id, n)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, backend.PartRef{Number: n, ID: v})
	}
	if err := b.removePrefix(ctx, b.base+"pi/"); err != nil {
		t.Fatal(err)
	}
	if ps, err := b.ListParts(ctx, "bkt", "k", id); err != nil || len(ps) != 2 {
		t.Fatalf("ListParts of parts without entries: %+v, %v", ps, err)
	}
	info, err := b.CompleteUpload(ctx, "bkt", "k", id, refs, nil)
	if err != nil || info.Size != 2 {
		t.Fatalf("CompleteUpload of parts without entries: %+v, %v", info, err)
	}
}
