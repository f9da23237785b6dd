package checksum

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func digest(t *testing.T, alg string, data []byte) []byte {
	t.Helper()
	h, err := New(alg)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(data)
	return h.Sum(nil)
}

// Published check values: the digest of "123456789" for each CRC (the
// catalogue of parametrised CRC algorithms), and the FIPS 180 "abc" vectors.
func TestKnownVectors(t *testing.T) {
	for _, c := range []struct {
		alg, in, want string
	}{
		{CRC32, "123456789", "cbf43926"},
		{CRC32C, "123456789", "e3069283"},
		{CRC64NVME, "123456789", "ae8b14860a799888"},
		{SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{CRC32, "", "00000000"},
	} {
		if got := hex.EncodeToString(digest(t, c.alg, []byte(c.in))); got != c.want {
			t.Errorf("%s(%q) = %s, want %s", c.alg, c.in, got, c.want)
		}
		if n := Size(c.alg); n != len(c.want)/2 {
			t.Errorf("Size(%s) = %d, want %d", c.alg, n, len(c.want)/2)
		}
	}
}

func TestNames(t *testing.T) {
	for _, alg := range Algorithms {
		if !Valid(alg) {
			t.Errorf("Valid(%s) = false", alg)
		}
		h := HeaderName(alg)
		if h != "x-amz-checksum-"+strings.ToLower(alg) {
			t.Errorf("HeaderName(%s) = %q", alg, h)
		}
		if FromHeaderName(strings.ToUpper(h)) != alg || FromHeaderName(h) != alg {
			t.Errorf("FromHeaderName(%q) does not give %s back", h, alg)
		}
		if Canonical(strings.ToLower(alg)) != alg {
			t.Errorf("Canonical(%q) != %s", strings.ToLower(alg), alg)
		}
	}
	for _, bad := range []string{"", "crc32", "BLAKE3", "CRC64"} {
		if Valid(bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
		if _, err := New(bad); !errors.Is(err, ErrUnknownAlgorithm) {
			t.Errorf("New(%q) error = %v", bad, err)
		}
	}
	if HeaderName("BLAKE3") != "" || FromHeaderName("x-amz-checksum-") != "" ||
		FromHeaderName("x-amz-checksum-blake3") != "" || FromHeaderName("content-md5") != "" {
		t.Error("unknown names must map to \"\"")
	}
	if IsCRC(SHA256) || !IsCRC(CRC64NVME) {
		t.Error("IsCRC is wrong")
	}
}

func TestDecode(t *testing.T) {
	d, err := Decode(CRC32C, "sOO8/Q==")
	if err != nil || hex.EncodeToString(d) != "b0e3bcfd" {
		t.Fatalf("Decode = %x, %v", d, err)
	}
	for _, bad := range []string{"", "sOO8", "sOO8/Q", "!!!!!!!!", "AAAAAAAAAAA="} {
		if _, err := Decode(CRC32C, bad); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("Decode(%q) error = %v", bad, err)
		}
	}
	if _, err := Decode("BLAKE3", "AAAAAA=="); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("Decode of unknown algorithm: %v", err)
	}
}

// The AWS trailer example sends x-amz-checksum-crc32c:sOO8/Q== for 66560
// bytes of 'a'.
func TestAWSTrailerExampleChecksum(t *testing.T) {
	got := Encode(digest(t, CRC32C, bytes.Repeat([]byte("a"), 66560)))
	if got != "sOO8/Q==" {
		t.Fatalf("CRC32C of the AWS example body = %s, want sOO8/Q==", got)
	}
}

func TestComposite(t *testing.T) {
	parts := [][]byte{[]byte("part one"), []byte("second part"), []byte("3")}
	var digests [][]byte
	var concat []byte
	for _, p := range parts {
		s := sha256.Sum256(p)
		digests = append(digests, s[:])
		concat = append(concat, s[:]...)
	}
	outer := sha256.Sum256(concat)
	want := base64.StdEncoding.EncodeToString(outer[:]) + "-3"
	if got := Composite(SHA256, digests); got != want {
		t.Fatalf("Composite = %s, want %s", got, want)
	}
	// CRC32 composite over the raw 4-byte digests.
	var crcs [][]byte
	var cc []byte
	for _, p := range parts {
		d := digest(t, CRC32, p)
		crcs = append(crcs, d)
		cc = append(cc, d...)
	}
	if got, want := Composite(CRC32, crcs), Encode(digest(t, CRC32, cc))+"-3"; got != want {
		t.Fatalf("CRC32 composite = %s, want %s", got, want)
	}
	if Composite("BLAKE3", crcs) != "" {
		t.Fatal("unknown algorithm must give \"\"")
	}
}

func TestFullObjectMatchesWholeCRC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<20+13)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, alg := range []string{CRC32, CRC32C, CRC64NVME} {
		want := Encode(digest(t, alg, data))
		for trial := 0; trial < 40; trial++ {
			// Random split points, including empty parts.
			nparts := 1 + rng.IntN(8)
			cuts := []int{0, len(data)}
			for i := 1; i < nparts; i++ {
				cuts = append(cuts, rng.IntN(len(data)+1))
			}
			slices.Sort(cuts)
			var parts []Part
			for i := 0; i+1 < len(cuts); i++ {
				p := data[cuts[i]:cuts[i+1]]
				parts = append(parts, Part{Digest: digest(t, alg, p), Size: int64(len(p))})
			}
			got, err := FullObject(alg, parts)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%s: FullObject over cuts %v = %s, want %s", alg, cuts, got, want)
			}
		}
	}
}

func TestCombineSmall(t *testing.T) {
	// Exhaustive over short strings: every split of every prefix.
	s := []byte("The quick brown fox jumps over the lazy dog")
	for _, alg := range []string{CRC32, CRC32C, CRC64NVME} {
		for n := 0; n <= len(s); n++ {
			for cut := 0; cut <= n; cut++ {
				a, b := s[:cut], s[cut:n]
				got, err := FullObject(alg, []Part{
					{digest(t, alg, a), int64(len(a))},
					{digest(t, alg, b), int64(len(b))},
				})
				if err != nil {
					t.Fatal(err)
				}
				if want := Encode(digest(t, alg, s[:n])); got != want {
					t.Fatalf("%s: combine at %d/%d = %s, want %s", alg, cut, n, got, want)
				}
			}
		}
	}
}

func TestCombineHugeLength(t *testing.T) {
	// A 5 TiB part of zeros: its CRC is not computable here directly, but
	// combining CRC(zeros 2^k) with itself must equal CRC(zeros 2^(k+1)).
	m := crc32cModel
	zero := func(n int64) uint64 {
		// crc of n zero bytes = shift(^0, n) ^ ^0 in register terms.
		all := uint64(1)<<m.width - 1
		return m.shift(all, n) ^ all
	}
	// Check the helper against a real hash first.
	if got, want := zero(1000), beUint(digest(t, CRC32C, make([]byte, 1000))); got != want {
		t.Fatalf("zero(1000) = %x, want %x", got, want)
	}
	for k := int64(1); k < 1<<43; k <<= 3 {
		if got, want := m.combine(zero(k), zero(k), k), zero(2*k); got != want {
			t.Fatalf("combine of two %d-byte zero runs = %x, want %x", k, got, want)
		}
	}
}

func TestFullObjectErrors(t *testing.T) {
	if _, err := FullObject(SHA256, []Part{{make([]byte, 32), 1}}); err == nil {
		t.Error("SHA256 full-object must fail")
	}
	if _, err := FullObject(CRC32, nil); err == nil {
		t.Error("zero parts must fail")
	}
	if _, err := FullObject(CRC32, []Part{{make([]byte, 8), 1}}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("wrong digest length: %v", err)
	}
	if _, err := FullObject(CRC32, []Part{{make([]byte, 4), 1}, {make([]byte, 4), -1}}); err == nil {
		t.Error("negative size must fail")
	}
	if _, err := FullObject("XYZ", []Part{{make([]byte, 4), 1}}); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("unknown algorithm: %v", err)
	}
}

func BenchmarkFullObject10000Parts(b *testing.B) {
	parts := make([]Part, 10000)
	for i := range parts {
		parts[i] = Part{Digest: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Size: 5 << 20}
	}
	for b.Loop() {
		if _, err := FullObject(CRC64NVME, parts); err != nil {
			b.Fatal(err)
		}
	}
}
