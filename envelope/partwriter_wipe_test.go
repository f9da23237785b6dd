package envelope

import (
	"bytes"
	"io"
	"testing"
)

// Close wipes what the pooled batch buffers held (plaintext of the open
// segment, ciphertext), now only up to its high-water mark: whatever the
// shape of the writes, no byte the part wrote stays in the buffer.
func TestPartWriterWipesItsBuffer(t *testing.T) {
	key := testKeyForWipe(t)
	for _, sizes := range [][]int{{1}, {1024}, {100, 70000, 3}, {3 << 20}, {65536, 65536}, {0}} {
		pw, err := key.NewPartWriter(io.Discard, 1)
		if err != nil {
			t.Fatal(err)
		}
		bufs := [][]byte{pw.buf} // the first buffer, and the batch it grows to
		for _, n := range sizes {
			if _, err := pw.Write(bytes.Repeat([]byte{0xa5}, n)); err != nil {
				t.Fatal(err)
			}
			bufs = append(bufs, pw.buf)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		for _, buf := range bufs {
			if i := bytes.IndexFunc(buf, func(r rune) bool { return r != 0 }); i >= 0 {
				t.Fatalf("writes %v: a pooled buffer of %d bytes keeps data at offset %d after Close", sizes, len(buf), i)
			}
		}
	}
}

func testKeyForWipe(t *testing.T) *Key {
	t.Helper()
	id, err := GenerateIdentity(TypeX25519)
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := NewHeader([]Recipient{id.Recipient()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
