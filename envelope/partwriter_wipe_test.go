package envelope

import (
	"bytes"
	"io"
	"testing"
)

// Close wipes what the pooled batch buffer held (plaintext of the open
// segment, ciphertext), now only up to its high-water mark: whatever the
// shape of the writes, no byte the part wrote stays in the buffer.
func TestPartWriterWipesItsBuffer(t *testing.T) {
	key := testKeyForWipe(t)
	for _, sizes := range [][]int{{1}, {1024}, {100, 70000, 3}, {3 << 20}, {65536, 65536}, {0}} {
		pw, err := key.NewPartWriter(io.Discard, 1)
		if err != nil {
			t.Fatal(err)
		}
		buf := pw.buf
		for _, n := range sizes {
			if _, err := pw.Write(bytes.Repeat([]byte{0xa5}, n)); err != nil {
				t.Fatal(err)
			}
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		if i := bytes.IndexFunc(buf, func(r rune) bool { return r != 0 }); i >= 0 {
			t.Fatalf("writes %v: the pooled buffer keeps data at offset %d after Close", sizes, i)
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
