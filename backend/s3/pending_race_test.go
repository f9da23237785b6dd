package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// racingLossTransport forwards the next head PUT of headPath once armed,
// runs between before answering, and then loses the answer: the head
// landed, another writer changed it meanwhile, and the commit cannot tell.
type racingLossTransport struct {
	headPath string
	armed    atomic.Bool
	between  func()
}

func (l *racingLossTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Method == http.MethodPut && strings.Contains(r.URL.Path, l.headPath) && l.armed.CompareAndSwap(true, false) {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		l.between()
		return nil, fmt.Errorf("injected: connection reset after the upstream stored %s", r.URL.Path)
	}
	return resp, err
}

// TestLostHeadAnswerThenOtherWriter: a head PUT lands but its answer is
// lost, and before the commit looks again another writer replaces that
// head (removing the data it names, as any overwrite does). The commit
// used to take the other writer's head for one its attempt never
// replaced and publish its record again over it: acknowledged, and
// naming data already removed. Whatever the commit answers, the key must
// read back whole as one of the two writes.
func TestLostHeadAnswerThenOtherWriter(t *testing.T) {
	_, srv := sharedBackend(t)
	prefix := fmt.Sprintf("pending-%s", randHex(4))
	ctx := context.Background()
	other, err := New(ctx, Options{Client: srv.Client, Bucket: srv.Bucket, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	theirs := bytes.Repeat([]byte("theirs"), 1000)
	lt := &racingLossTransport{headPath: "/" + prefix + "/k/"}
	lt.between = func() { putObject(t, other, "bkt", "k", theirs) }
	b := backendVia(t, srv, lt, prefix)
	putObject(t, b, "bkt", "k", []byte("first version"))
	ours := bytes.Repeat([]byte("ours"), 1000)
	w, err := b.NewObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(ours)
	lt.armed.Store(true)
	_, cerr := w.Commit(nil)
	if lt.armed.Load() {
		t.Fatal("no head PUT answer was dropped")
	}
	got, err := readBack(other, "bkt", "k")
	switch {
	case err != nil:
		t.Fatalf("Commit = %v; the key does not read: %v", cerr, err)
	case cerr == nil && !bytes.Equal(got, ours):
		t.Fatalf("Commit acknowledged, but the key reads %d bytes, not ours", len(got))
	case !bytes.Equal(got, ours) && !bytes.Equal(got, theirs):
		t.Fatalf("Commit = %v; the key reads %d bytes of neither write", cerr, len(got))
	}
}
