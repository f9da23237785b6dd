package chunked

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// S3's rules that the Reader enforces on request: the 8 KiB minimum for
// every chunk but the last carrying data, the trailer names declared in
// x-amz-trailer, the empty line that ends a trailer, and broken framing
// winning over a length mismatch.
func TestS3Rules(t *testing.T) {
	big := strings.Repeat("a", 8192)
	unsignedTrailer := func(names ...string) Options {
		return Options{Trailer: true, CheckTrailerNames: true, TrailerNames: names, MinChunkSize: 8192, StrictEnd: true}
	}
	for _, c := range []struct {
		name string
		body string
		o    Options
		want error // nil: decodes
	}{
		{"small chunks", "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", Options{MinChunkSize: 8192}, ErrChunkTooSmall},
		{"small last chunk", "2000\r\n" + big + "\r\n2\r\ncd\r\n0\r\n\r\n", Options{MinChunkSize: 8192}, nil},
		{"one small chunk", "2\r\nab\r\n0\r\n\r\n", Options{MinChunkSize: 8192}, nil},
		{"declared trailer", "2\r\nab\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", unsignedTrailer("x-amz-checksum-crc32"), nil},
		{"undeclared trailer", "2\r\nab\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", unsignedTrailer(), ErrMalformedTrailer},
		{"other trailer", "2\r\nab\r\n0\r\nx-amz-checksum-sha1:AAAAAA==\r\n\r\n", unsignedTrailer("x-amz-checksum-crc32"), ErrMalformedTrailer},
		{"missing trailer", "2\r\nab\r\n0\r\n\r\n", unsignedTrailer("x-amz-checksum-crc32"), ErrMalformedTrailer},
		{"repeated trailer", "2\r\nab\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", unsignedTrailer("x-amz-checksum-crc32"), ErrMalformedTrailer},
		{"no empty line after the final chunk", "2\r\nab\r\n0\r\n", unsignedTrailer(), io.ErrUnexpectedEOF},
		{"no empty line after the trailer", "2\r\nab\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", unsignedTrailer("x-amz-checksum-crc32"), io.ErrUnexpectedEOF},
		{"minio-go trailer lines", "2\r\nab\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\n\r\n\r\n", unsignedTrailer("x-amz-checksum-crc32"), nil},
		{"over length, framed", "3\r\nabc\r\n0\r\n\r\n", Options{HasDecodedLength: true, DecodedLength: 2}, ErrLengthMismatch},
		{"over length, broken", "3\r\nab\r\n0\r\n\r\n", Options{HasDecodedLength: true, DecodedLength: 2}, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := io.ReadAll(New(strings.NewReader(c.body), c.o))
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
			if errors.Is(c.want, ErrMalformed) && errors.Is(err, ErrLengthMismatch) {
				t.Fatalf("error = %v: broken framing reported as a length mismatch", err)
			}
		})
	}
}
