package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"envelopegw/backend"
)

// Issue 8's rule, applied to the upstream backend: once a record naming
// a data object is published, nothing may remove that object except a
// later, committed removal of the record. These tests hit each window
// after a publish where an error path used to remove the data anyway.

// onHook runs fn the first time the backend passes point.
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

// readBack reads an object whole through a fresh context.
func readBack(b *Backend, bucket, key string) ([]byte, error) {
	o, err := b.Open(context.Background(), bucket, key)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	buf := make([]byte, o.Info().Size)
	if _, err := o.ReadAt(buf, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf, nil
}

func putObject(t *testing.T, b *Backend, bucket, key string, data []byte) {
	t.Helper()
	w, err := b.NewObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if _, err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
}

func commitPart(t *testing.T, b *Backend, bucket, key, id string, n int, data []byte) {
	t.Helper()
	w, err := b.NewPart(context.Background(), bucket, key, id, n)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if _, err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
}

// TestResentPartRacesCompleteUpstream is issue 8's data loss on the
// upstream backend: a re-sent part publishes its record, a
// CompleteUpload that uses the new version completes and retires the
// upload, and only then does the part's commit look for its upload. It
// used to find it gone and remove the data object the completed head
// names: Complete 200, GET of the object fails.
func TestResentPartRacesCompleteUpstream(t *testing.T) {
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	commitPart(t, b, "bkt", "k", id, 1, []byte("one"))
	commitPart(t, b, "bkt", "k", id, 2, []byte("two"))
	var cerr error
	onHook(t, "part-published", func() {
		parts, err := b.ListParts(ctx, "bkt", "k", id)
		if err != nil {
			cerr = err
			return
		}
		refs := make([]backend.PartRef, len(parts))
		for i, p := range parts {
			refs[i] = backend.PartRef{Number: p.Number, ID: p.ID}
		}
		_, cerr = b.CompleteUpload(ctx, "bkt", "k", id, refs, nil)
	})
	w, err := b.NewPart(ctx, "bkt", "k", id, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("ONE"))
	if _, err := w.Commit(nil); err != nil {
		t.Errorf("re-sent part that the completed object uses: Commit = %v", err)
	}
	if cerr != nil {
		t.Fatalf("CompleteUpload = %v", cerr)
	}
	if got, err := readBack(b, "bkt", "k"); err != nil || string(got) != "ONEtwo" {
		t.Fatalf("acknowledged object reads %q, %v; want ONEtwo", got, err)
	}
}

// TestResentPartRacesAbortUpstream: the same window with AbortUpload:
// the part's commit fails (its upload is gone) and leaves no data object.
func TestResentPartRacesAbortUpstream(t *testing.T) {
	b, _ := sharedBackend(t)
	ctx := context.Background()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	commitPart(t, b, "bkt", "k", id, 1, []byte("one"))
	var aerr error
	onHook(t, "part-published", func() { aerr = b.AbortUpload(ctx, "bkt", "k", id) })
	w, err := b.NewPart(ctx, "bkt", "k", id, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("ONE"))
	if _, err := w.Commit(nil); !errors.Is(err, backend.ErrNoSuchUpload) {
		t.Errorf("re-sent part of an aborted upload: Commit = %v, want ErrNoSuchUpload", err)
	}
	if aerr != nil {
		t.Fatalf("AbortUpload = %v", aerr)
	}
	if objs, _ := upstreamNames(t, b, "d/"); len(objs) != 0 {
		t.Fatalf("data objects left after the abort: %v", objs)
	}
}

// TestCanceledCommitKeepsPublishedData: the client hangs up just after
// the head was published. The rest of the commit used the canceled
// request context, failed, could not withdraw the head and removed the
// data it names: a listed key that does not read. Whatever the commit
// answers, the key must read back as the old or the new version.
func TestCanceledCommitKeepsPublishedData(t *testing.T) {
	b, _ := sharedBackend(t)
	if err := b.CreateBucket(context.Background(), "bkt"); err != nil {
		t.Fatal(err)
	}
	putObject(t, b, "bkt", "old", []byte("old version"))
	for _, key := range []string{"new", "old"} {
		cctx, cancel := context.WithCancel(context.Background())
		onHook(t, "head-published", cancel)
		w, err := b.NewObject(cctx, "bkt", key)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("new version"))
		_, cerr := w.Commit(nil)
		cancel()
		if _, err := b.Stat(context.Background(), "bkt", key); errors.Is(err, backend.ErrNoSuchKey) && key == "new" && cerr != nil {
			continue // not acknowledged, not done
		}
		got, err := readBack(b, "bkt", key)
		if err != nil || string(got) != "new version" && (key != "old" || cerr == nil || string(got) != "old version") {
			t.Errorf("%s: commit canceled after its head was published (Commit = %v): key reads %q, %v", key, cerr, got, err)
		}
	}
}

// lossyTransport forwards requests to the upstream and, when armed,
// drops the answer to the next PUT of a head record after the upstream
// has carried it out, as a connection reset or a timeout would.
// minio-go then retries the PUT, which the upstream refuses (the head
// changed: it is the one just written).
type lossyTransport struct {
	headPath string // path fragment of head records
	armed    atomic.Bool
	lost     atomic.Int64
}

func (l *lossyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Method == http.MethodPut && strings.Contains(r.URL.Path, l.headPath) && l.armed.CompareAndSwap(true, false) {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		l.lost.Add(1)
		return nil, fmt.Errorf("injected: connection reset after the upstream stored %s", r.URL.Path)
	}
	return resp, err
}

// TestLostHeadAnswerKeepsData: the upstream stored a new head but its
// answer was lost; minio-go's retry then meets the head it wrote itself.
// The commit took that head for another writer's, "replaced" it, and
// removed the data it had just published: an acknowledged object that
// does not read.
func TestLostHeadAnswerKeepsData(t *testing.T) {
	_, srv := sharedBackend(t)
	prefix := fmt.Sprintf("lossy-%s", randHex(4))
	lt := &lossyTransport{headPath: "/" + prefix + "/k/"}
	b := backendVia(t, srv, lt, prefix)
	ctx := context.Background()
	putObject(t, b, "bkt", "over", []byte("old version"))
	for _, key := range []string{"fresh", "over"} {
		want := bytes.Repeat([]byte(key), 1000)
		lt.armed.Store(true)
		w, err := b.NewObject(ctx, "bkt", key)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(want)
		_, cerr := w.Commit(nil)
		if lt.armed.Load() {
			t.Fatalf("%s: no head PUT answer was dropped", key)
		}
		got, err := readBack(b, "bkt", key)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: head answer lost (Commit = %v): key reads %d bytes, %v; want the %d bytes written", key, cerr, len(got), err, len(want))
		}
	}
	if lt.lost.Load() != 2 {
		t.Errorf("%d answers dropped, want 2", lt.lost.Load())
	}
}
