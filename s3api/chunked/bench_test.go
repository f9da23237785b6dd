package chunked

import (
	"bytes"
	"io"
	"testing"

	"envelopegw/s3api/auth"
)

// benchBody is 8 MiB in 64 KiB chunks, the shape SDKs send.
func benchBody(b *testing.B, signed, trailer bool) (body []byte, n int) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)
	sizes := make([]int, len(data)/(64<<10))
	for i := range sizes {
		sizes[i] = 64 << 10
	}
	var ts *testSigner
	if signed {
		ts = newTestSigner("s", "20261129T070000Z", "r", fuzzSeed)
	}
	var tr []string
	if trailer {
		tr = []string{"x-amz-checksum-crc32c:AAAAAA=="}
	}
	return encode(data, sizes, ts, tr), len(data)
}

func benchDecode(b *testing.B, signed, trailer bool) {
	body, n := benchBody(b, signed, trailer)
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		var v Verifier
		if signed {
			cs, err := auth.NewChunkSigner("s", "20261129T070000Z", "r", fuzzSeed)
			if err != nil {
				b.Fatal(err)
			}
			v = cs
		}
		r := NewReader(bytes.NewReader(body), v, signed, trailer)
		for {
			_, err := r.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkSigned(b *testing.B)          { benchDecode(b, true, false) }
func BenchmarkSignedTrailer(b *testing.B)   { benchDecode(b, true, true) }
func BenchmarkUnsignedTrailer(b *testing.B) { benchDecode(b, false, true) }
