package posix

import (
	"bytes"
	mrand "math/rand/v2"
	"testing"
)

// TestLargeWritesAligned: a write of at least writeBufSize reaches the
// temp file at once, together with what was buffered before it (the
// inline head's reserved header), up to the last writeAlign boundary of
// the file it reaches; only the remainder, less than writeAlign, waits
// in the buffer. Objects written in any mix of small and large writes
// read back whole.
func TestLargeWritesAligned(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	bw, err := b.NewObject(ctx, "bkt", "big")
	if err != nil {
		t.Fatal(err)
	}
	defer bw.Abort()
	w := bw.(*writer)
	// The part writer's batch: 16 segments of 64 KiB and their tags.
	data := bytes.Repeat([]byte("0123456789abcdef"), 16*(64<<10+16)/16)
	var want []byte
	for i := range 5 {
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		want = append(want, data...)
		fi, err := w.f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		total := int64(inlineDataOff + len(want))
		if fi.Size()%writeAlign != 0 || total-fi.Size() >= writeAlign || int64(w.bw.Buffered()) != total-fi.Size() {
			t.Fatalf("after large write %d: file %d bytes, %d buffered, of %d: want the file to end on the last %d-byte boundary", i, fi.Size(), w.bw.Buffered(), total, writeAlign)
		}
	}
	small := []byte("tail")
	if _, err := w.Write(small); err != nil {
		t.Fatal(err)
	}
	want = append(want, small...)
	if _, err := bw.Commit(nil); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, b, "bkt", "big"); !bytes.Equal(got, want) {
		t.Errorf("read back %d bytes, want the %d written", len(got), len(want))
	}

	rng := mrand.New(mrand.NewPCG(3, 4))
	for i := range 20 {
		bw, err := b.NewObject(ctx, "bkt", "mix")
		if err != nil {
			t.Fatal(err)
		}
		var want []byte
		for range 1 + rng.IntN(12) {
			n := rng.IntN(3 << 20)
			if rng.IntN(2) == 0 {
				n = rng.IntN(100 << 10)
			}
			p := make([]byte, n)
			for j := range p {
				p[j] = byte(rng.Uint32())
			}
			if _, err := bw.Write(p); err != nil {
				t.Fatal(err)
			}
			want = append(want, p...)
		}
		if _, err := bw.Commit(nil); err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, b, "bkt", "mix"); !bytes.Equal(got, want) {
			t.Fatalf("object %d: read back %d bytes, want the %d written", i, len(got), len(want))
		}
	}
}
