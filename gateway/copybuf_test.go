package gateway

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

// trickle returns at most 1+rand(70000) bytes per Read and counts reads,
// so copies cross buffer boundaries at odd places.
type trickle struct {
	r     io.Reader
	rng   *rand.Rand
	reads atomic.Int64
	err   error // returned instead of io.EOF, when set
}

func (t *trickle) Read(p []byte) (int, error) {
	t.reads.Add(1)
	if n := 1 + t.rng.IntN(70000); len(p) > n {
		p = p[:n]
	}
	n, err := t.r.Read(p)
	if err == io.EOF && t.err != nil {
		err = t.err
	}
	return n, err
}

func newTrickle(data []byte) *trickle {
	return &trickle{r: bytes.NewReader(data), rng: rand.New(rand.NewPCG(1, 2))}
}

func TestCopyBodyCopiesExactly(t *testing.T) {
	for _, size := range []int{0, 1, smallCopyBufSize, smallCopyBufSize + 1, copyBufSize - 1, copyBufSize, copyBufSize + 1, 5*copyBufSize + 12345} {
		data := randBytes(size)
		for _, declared := range []int64{-1, int64(size)} {
			var dst bytes.Buffer
			n, rerr, werr := copyBody(&dst, newTrickle(data), 1<<40, declared)
			if rerr != nil || werr != nil || n != int64(size) || !bytes.Equal(dst.Bytes(), data) {
				t.Fatalf("size %d (declared %d): n=%d read=%v write=%v equal=%v", size, declared, n, rerr, werr, bytes.Equal(dst.Bytes(), data))
			}
		}
	}
}

// A body declared small is moved through a small buffer (a burst of small
// PUTs held a 1 MiB buffer each); one longer than declared is still
// copied whole, in writes no larger than that buffer, for the caller's
// length check to refuse.
func TestCopyBodySmallDeclaredSize(t *testing.T) {
	data := randBytes(300 << 10)
	var rec recordWrites
	n, rerr, werr := copyBody(&rec, bytes.NewReader(data), 1<<40, 1024)
	if rerr != nil || werr != nil || n != int64(len(data)) || !bytes.Equal(rec.buf.Bytes(), data) {
		t.Fatalf("n=%d read=%v write=%v equal=%v", n, rerr, werr, bytes.Equal(rec.buf.Bytes(), data))
	}
	if rec.largest > smallCopyBufSize {
		t.Fatalf("a body declared 1 KiB was copied in writes of up to %d bytes, want at most %d", rec.largest, smallCopyBufSize)
	}
}

type recordWrites struct {
	buf     bytes.Buffer
	largest int
}

func (w *recordWrites) Write(p []byte) (int, error) {
	w.largest = max(w.largest, len(p))
	return w.buf.Write(p)
}

func TestCopyBodyLimit(t *testing.T) {
	data := randBytes(3*copyBufSize + 7)
	var dst bytes.Buffer
	_, rerr, werr := copyBody(&dst, newTrickle(data), int64(len(data)-1), -1)
	if !errors.Is(rerr, errTooLarge) || werr != nil {
		t.Fatalf("over the limit: read=%v write=%v", rerr, werr)
	}
	if _, rerr, _ := copyBody(io.Discard, newTrickle(data), int64(len(data)), -1); rerr != nil {
		t.Fatalf("exactly the limit: %v", rerr)
	}
}

func TestCopyBodyReadError(t *testing.T) {
	data := randBytes(2*copyBufSize + 99)
	boom := errors.New("client went away")
	src := newTrickle(data)
	src.err = boom
	var dst bytes.Buffer
	n, rerr, werr := copyBody(&dst, src, 1<<40, -1)
	if !errors.Is(rerr, boom) || werr != nil {
		t.Fatalf("read=%v write=%v, want the client's error", rerr, werr)
	}
	if n != int64(dst.Len()) || !bytes.Equal(dst.Bytes(), data[:n]) {
		t.Fatalf("wrote %d bytes that are not a prefix of the body", n)
	}
	if _, rerr, _ := copyBody(io.Discard, iotest.TimeoutReader(bytes.NewReader(data)), 1<<40, -1); !errors.Is(rerr, iotest.ErrTimeout) {
		t.Fatalf("timeout reader: %v", rerr)
	}
}

// failWriter fails its second write.
type failWriter struct{ writes int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.writes++; w.writes == 2 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// TestCopyBodyWriteErrorStopsReading: after a storage error the copy
// returns, and the body is never read again (the handler closes it next).
func TestCopyBodyWriteErrorStopsReading(t *testing.T) {
	src := newTrickle(randBytes(20 * copyBufSize))
	_, rerr, werr := copyBody(&failWriter{}, src, 1<<40, -1)
	if werr == nil || rerr != nil {
		t.Fatalf("read=%v write=%v, want the storage's error", rerr, werr)
	}
	after := src.reads.Load()
	for range 1000 {
		if src.reads.Load() != after {
			t.Fatal("the body was read after copyBody returned")
		}
	}
	if got := src.r.(*bytes.Reader).Len(); got < 15*copyBufSize {
		t.Fatalf("read %d bytes past the failure; the reader should stop within a buffer or two", 20*copyBufSize-got)
	}
}
