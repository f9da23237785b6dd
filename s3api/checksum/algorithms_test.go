package checksum

import (
	"encoding/hex"
	"testing"
)

// TestKnownDigests pins each algorithm to published reference values
// (xxHash's own test vectors for seed 0, the SHA and MD5 standards), so a
// byte-order or seed mistake shows.
func TestKnownDigests(t *testing.T) {
	for _, tc := range []struct{ alg, in, hex string }{
		{XXHASH64, "", "ef46db3751d8e999"},
		{XXHASH64, "abc", "44bc2cf5ad770999"},
		{XXHASH3, "", "2d06800538d394c2"},
		{XXHASH3, "abc", "78af5f94892f3950"},
		{XXHASH128, "", "99aa06d3014798d86001c324468d497f"},
		{XXHASH128, "abc", "06b05ab6733a618578af5f94892f3950"},
		{MD5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
		{SHA512, "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	} {
		h, err := New(tc.alg)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(tc.in))
		got := h.Sum(nil)
		if hex.EncodeToString(got) != tc.hex || len(got) != Size(tc.alg) || h.Size() != Size(tc.alg) {
			t.Errorf("%s(%q) = %x (Size %d), want %s", tc.alg, tc.in, got, h.Size(), tc.hex)
		}
		if _, err := Decode(tc.alg, Encode(got)); err != nil {
			t.Errorf("%s: Decode of its own value: %v", tc.alg, err)
		}
		if name := HeaderName(tc.alg); FromHeaderName(name) != tc.alg {
			t.Errorf("%s: header name %q does not map back", tc.alg, name)
		}
	}
	for _, alg := range []string{SHA512, MD5, XXHASH64, XXHASH3, XXHASH128} {
		if _, err := FullObject(alg, []Part{{Digest: make([]byte, Size(alg)), Size: 1}}); err == nil {
			t.Errorf("%s: FullObject succeeded; only CRCs combine", alg)
		}
		if Composite(alg, [][]byte{make([]byte, Size(alg))}) == "" {
			t.Errorf("%s: no composite", alg)
		}
	}
}
