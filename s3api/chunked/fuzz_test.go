package chunked

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"envelopegw/s3api/auth"
)

const fuzzSeed = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// FuzzReader feeds arbitrary bodies to every form. Invariants: no panic, no
// hang, every error is one of the package's kinds, the decoded
// length is consistent, and a body that decodes re-encodes to the same
// payload and trailer. (That a signed body releases only verified chunks
// is checked by the unit tests, which know the expected bytes.)
func FuzzReader(f *testing.F) {
	data := []byte("hello, aws-chunked world")
	ts := func() *testSigner { return newTestSigner("s", "20261129T070000Z", "r", fuzzSeed) }
	f.Add(docBody(false), uint8(0))
	f.Add(docBody(true), uint8(1))
	f.Add(encode(data, []int{5, 7}, ts(), nil), uint8(0))
	f.Add(encode(data, []int{5, 7}, ts(), []string{"x-amz-checksum-crc32:AAAAAA=="}), uint8(1))
	f.Add(encode(data, []int{5, 7}, nil, []string{"x-amz-checksum-crc32c:AAAAAA==", "x-amz-checksum-sha1:x"}), uint8(2))
	f.Add(encode(data, nil, nil, nil), uint8(3))
	f.Add([]byte("0\r\n\r\n"), uint8(2))
	f.Add([]byte("3\r\nabc\r\n0\r\nx-amz-checksum-crc32c:AAAAAA==\n\r\n\r\n"), uint8(2))
	f.Add([]byte("3\r\nabc\r\n0\r\n\r\nx-a:b\r\n\r\n"), uint8(2))
	f.Add([]byte("ffffffff;chunk-signature=00\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		signed := mode%4 < 2
		trailer := mode%4 == 1 || mode%4 == 2
		var v Verifier
		if signed {
			cs, err := auth.NewChunkSigner("s", "20261129T070000Z", "r", fuzzSeed)
			if err != nil {
				t.Fatal(err)
			}
			if mode&4 != 0 {
				cs = docRequest(t, trailer)
			}
			v = cs
		}
		opts := Options{Signed: signed, Verifier: v, Trailer: trailer, MaxChunkSize: 1 << 16}
		if mode&8 != 0 {
			opts.HasDecodedLength, opts.DecodedLength = true, int64(mode>>4)*3
		}
		r := New(iotest.HalfReader(bytes.NewReader(body)), opts)
		got, err := io.ReadAll(r)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrTooLarge) &&
				!errors.Is(err, ErrLengthMismatch) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("error of no known kind: %v", err)
			}
			if len(r.Trailer()) != 0 {
				t.Fatal("trailer visible after an error")
			}
			return
		}
		if len(got) > len(body) {
			t.Fatalf("decoded %d bytes from a %d-byte body", len(got), len(body))
		}
		if opts.HasDecodedLength && int64(len(got)) != opts.DecodedLength {
			t.Fatalf("decoded %d bytes, declared %d", len(got), opts.DecodedLength)
		}
		// Re-encode unsigned and decode again.
		var trailers []string
		if trailer {
			trailers = []string{}
			for name, vals := range r.Trailer() {
				for _, val := range vals {
					trailers = append(trailers, name+":"+val)
				}
			}
		}
		again, err := io.ReadAll(New(bytes.NewReader(encode(got, []int{3, 5}, nil, trailers)), Options{Trailer: trailer}))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-encoded body decodes to %q, %v; want %q", again, err, got)
		}
	})
}
