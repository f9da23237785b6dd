package envelope

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bigObject seals n bytes of counting plaintext as one part.
func bigObject(t *testing.T, n int) (*Key, *Table, []byte, []byte) {
	t.Helper()
	_, k, err := NewHeader([]Recipient{benchIdentity().Recipient()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, n)
	for i := range plain {
		plain[i] = byte(i * 7)
	}
	var body bytes.Buffer
	pw, err := k.NewPartWriter(&body, 1)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(plain)
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	tb, err := k.SealTable([]PartInfo{pw.Info()})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := k.OpenTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	return k, tab, body.Bytes(), plain
}

// slowBody is a body whose every read waits as if for a disk, so that a
// range reader reads ahead.
type slowBody struct{ r *bytes.Reader }

func (s slowBody) ReadAt(p []byte, off int64) (int, error) {
	time.Sleep(2 * slowRead)
	return s.r.ReadAt(p, off)
}

func (s slowBody) Size() int64 { return s.r.Size() }

// A segment tampered several batches in, beyond what the read-ahead has
// fetched when reading starts, still fails: the reader releases exactly
// the plaintext before it, then ErrAuth. So it does without read-ahead.
func TestReadAheadTamperLater(t *testing.T) {
	seg := DefaultSegmentSize
	k, tab, body, plain := bigObject(t, 40*seg)
	bad := 13 // a segment in the fourth batch
	body[saltSize+bad*(seg+tagSize)+100] ^= 1
	for _, how := range []string{"Read", "WriteTo", "Read fast", "WriteTo fast"} {
		var src io.ReaderAt = slowBody{bytes.NewReader(body)}
		if strings.HasSuffix(how, " fast") {
			src = bytes.NewReader(body)
		}
		r, err := k.NewRangeReader(src, tab, 0, tab.Size())
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if strings.HasPrefix(how, "Read") {
			_, err = io.CopyBuffer(&got, struct{ io.Reader }{r}, make([]byte, 1000))
		} else {
			_, err = r.(io.WriterTo).WriteTo(&got)
		}
		if !errors.Is(err, ErrAuth) {
			t.Errorf("%s: err %v, want ErrAuth", how, err)
		}
		if !bytes.Equal(got.Bytes(), plain[:bad*seg]) {
			t.Errorf("%s: released %d bytes, want the %d before the tampered segment", how, got.Len(), bad*seg)
		}
		r.Close()
	}
}

// Closing a reader in the middle of a long range stops its read-ahead
// goroutine; reading a range starts none until a second batch is needed.
func TestReadAheadCloseStops(t *testing.T) {
	seg := DefaultSegmentSize
	k, tab, body, plain := bigObject(t, 64*seg)
	before := runtime.NumGoroutine()
	var rs []io.ReadCloser
	for range 20 {
		r, err := k.NewRangeReader(slowBody{bytes.NewReader(body)}, tab, 3, tab.Size()-3)
		if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 10*seg)
		if _, err := io.ReadFull(r, p); err != nil || !bytes.Equal(p, plain[3:3+len(p)]) {
			t.Fatalf("read: %v", err)
		}
		rs = append(rs, r)
	}
	if n := runtime.NumGoroutine(); n < before+20 {
		t.Errorf("%d goroutines while 20 long reads are open, %d before: no read-ahead?", n, before)
	}
	for _, r := range rs {
		r.Close()
		if _, err := r.Read(make([]byte, 1)); err == nil {
			t.Error("read after Close succeeded")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
	// A short range is one batch: no goroutine at all.
	r, err := k.NewRangeReader(bytes.NewReader(body), tab, 5*int64(seg), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, plain[5*seg:5*seg+1000]) {
		t.Errorf("short range: %d bytes, %v", len(got), err)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("a one-batch range started a goroutine (%d, %d before)", n, before)
	}
	r.Close()
}

// A long range over a fast body (memory, the page cache) is read in the
// reader's goroutine: the read-ahead would only add hand-offs.
func TestReadAheadNotForFastBody(t *testing.T) {
	seg := DefaultSegmentSize
	k, tab, body, plain := bigObject(t, 64*seg)
	before := runtime.NumGoroutine()
	var rs []io.ReadCloser
	for range 20 {
		r, err := k.NewRangeReader(bytes.NewReader(body), tab, 3, tab.Size()-3)
		if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 10*seg)
		if _, err := io.ReadFull(r, p); err != nil || !bytes.Equal(p, plain[3:3+len(p)]) {
			t.Fatalf("read: %v", err)
		}
		rs = append(rs, r)
	}
	// Some reads may be slow on a loaded machine and start a read-ahead;
	// most must not.
	if n := runtime.NumGoroutine(); n >= before+10 {
		t.Errorf("%d goroutines while 20 long reads of memory are open, %d before", n, before)
	}
	for _, r := range rs {
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain[3+10*seg:]) {
			t.Fatalf("rest of the range: %d bytes, %v", len(got), err)
		}
		r.Close()
	}
}
