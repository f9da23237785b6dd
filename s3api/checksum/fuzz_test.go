package checksum

import "testing"

// FuzzFullObject checks the CRC combination against hashing the
// concatenation, for all three CRCs and arbitrary inputs, and that Decode
// never panics on arbitrary text.
func FuzzFullObject(f *testing.F) {
	f.Add([]byte("123456789"), []byte(""), []byte("abc"))
	f.Add([]byte{}, []byte{0}, []byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		for _, alg := range []string{CRC32, CRC32C, CRC64NVME} {
			var parts []Part
			var all []byte
			for _, p := range [][]byte{a, b, c} {
				parts = append(parts, Part{Digest: digest(t, alg, p), Size: int64(len(p))})
				all = append(all, p...)
			}
			got, err := FullObject(alg, parts)
			if err != nil {
				t.Fatal(err)
			}
			if want := Encode(digest(t, alg, all)); got != want {
				t.Fatalf("%s: FullObject = %s, want %s", alg, got, want)
			}
			_, _ = Decode(alg, string(a))
		}
	})
}
