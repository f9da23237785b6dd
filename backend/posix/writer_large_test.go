package posix

import (
	"bytes"
	"testing"
)

// TestLargeWritesBypassBuffer: a write of at least writeBufSize reaches
// the temp file at once, together with what was buffered before it (the
// inline head's reserved header), instead of being copied into the
// buffer; the object still reads back whole.
func TestLargeWritesBypassBuffer(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	bw, err := b.NewObject(ctx, "bkt", "big")
	if err != nil {
		t.Fatal(err)
	}
	defer bw.Abort()
	w := bw.(*writer)
	data := bytes.Repeat([]byte("0123456789abcdef"), (writeBufSize+4096)/16)
	small := []byte("tail")
	for _, p := range [][]byte{data, data[:writeBufSize], small} {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.bw.Buffered(); got != len(small) {
		t.Errorf("%d bytes buffered after two large writes and a small one, want %d (only the small one)", got, len(small))
	}
	fi, err := w.f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(inlineDataOff + len(data) + writeBufSize); fi.Size() != want {
		t.Errorf("temp file has %d bytes before Commit, want %d: the large writes were held back", fi.Size(), want)
	}
	if _, err := bw.Commit(nil); err != nil {
		t.Fatal(err)
	}
	got := mustRead(t, b, "bkt", "big")
	want := append(append(append([]byte{}, data...), data[:writeBufSize]...), small...)
	if !bytes.Equal(got, want) {
		t.Errorf("read back %d bytes, want the %d written", len(got), len(want))
	}
}
