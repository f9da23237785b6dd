package envelope

import (
	"bytes"
	"io"
	"testing"
)

// Fuzz targets for every parser of untrusted bytes. Run one with e.g.
//   go test ./envelope -run '^$' -fuzz FuzzParseHeader -fuzztime 1m

func seedEnvelopes(f *testing.F) [][]byte {
	id := fuzzIdentity()
	var out [][]byte
	for _, n := range []int{0, 1, 255, 256, 257, 700} {
		out = append(out, encryptBytes(f, bytes.Repeat([]byte{byte(n)}, n), &Options{SegmentSize: MinSegmentSize}, id.Recipient()))
	}
	return out
}

// fuzzIdentity is deterministic so that crashers replay.
func fuzzIdentity() Identity {
	xi, _ := vectorIdentities(nil)
	return xi
}

func FuzzParseHeader(f *testing.F) {
	for _, e := range seedEnvelopes(f) {
		h, _ := ReadHeader(bytes.NewReader(e))
		f.Add(e[:h.Size()])
	}
	f.Add([]byte("EGWENV"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			return
		}
		// What parses re-encodes to the same bytes (one encoding per header).
		out, err := h.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed header does not marshal: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs")
		}
		h.Unwrap(fuzzIdentity()) // must not panic
	})
}

func FuzzParseTable(f *testing.F) {
	for _, e := range seedEnvelopes(f) {
		l, _ := ReadFileLayout(bytes.NewReader(e), int64(len(e)))
		f.Add(l.Table)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := ParseTableUnauthenticated(b)
		if err != nil {
			return
		}
		if len(b) != tableSize(len(tb.Parts)) {
			t.Fatal("table size mismatch")
		}
		if tb.Size() < 0 {
			t.Fatal("negative size")
		}
	})
}

// FuzzDecrypt feeds arbitrary files to both readers under a fixed
// identity: they must never panic or loop, must agree, and may only
// succeed on an authentic envelope, which the fuzzer cannot forge; a
// success must return a seed's plaintext (n bytes of value n mod 256).
// Seeds are encrypted afresh in every fuzzing process, so the check is on
// the plaintext, not on the exact bytes.
func FuzzDecrypt(f *testing.F) {
	for _, e := range seedEnvelopes(f) {
		f.Add(e)
	}
	id := fuzzIdentity()
	f.Fuzz(func(t *testing.T, b []byte) {
		var p1, p2 []byte
		r, err := Decrypt(bytes.NewReader(b), id)
		if err == nil {
			p1, err = io.ReadAll(r)
		}
		rc, _, err2 := DecryptReaderAt(bytes.NewReader(b), int64(len(b)), id)
		if err2 == nil {
			p2, err2 = io.ReadAll(rc)
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("readers disagree: sequential %v, readerat %v", err, err2)
		}
		if err == nil {
			if !bytes.Equal(p1, p2) || !bytes.Equal(p1, bytes.Repeat([]byte{byte(len(p1))}, len(p1))) {
				t.Fatalf("decrypted to a plaintext no seed holds")
			}
		}
	})
}
