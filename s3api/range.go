package s3api

import (
	"math"
	"strconv"
	"strings"
)

// parseRange interprets a Range header for an object of size bytes. It
// returns the byte span to send and whether it is partial (206).
//
// Like S3, it serves the whole object (200) when the header is absent, not
// a bytes range, syntactically invalid, or asks for several ranges (S3 does
// not do multipart/byteranges). A well-formed single range that selects no
// byte of the object is ErrInvalidRange (416).
func parseRange(h string, size int64) (off, n int64, partial bool, err error) {
	h = strings.TrimSpace(h)
	spec, ok := cutPrefixFold(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	// No whitespace inside the range-spec: S3 reads "bytes= -1" or
	// "bytes=0 -1" as no range at all (the whole object), not as a suffix.
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, size, false, nil
	}
	switch {
	case first == "" && last == "":
		return 0, size, false, nil
	case first == "": // suffix: the last n bytes
		sfx, ok := parseDigits(last)
		if !ok {
			return 0, size, false, nil
		}
		if sfx == 0 {
			return 0, 0, false, ErrInvalidRange
		}
		// RFC 9110: on an empty representation a non-zero suffix is the
		// only satisfiable range, and it selects all of it; S3 answers
		// it with 200 and the (empty) object, no Content-Range.
		if size == 0 {
			return 0, 0, false, nil
		}
		sfx = min(sfx, size)
		return size - sfx, sfx, true, nil
	}
	a, ok := parseDigits(first)
	if !ok {
		return 0, size, false, nil
	}
	b := int64(math.MaxInt64)
	if last != "" {
		if b, ok = parseDigits(last); !ok || b < a {
			return 0, size, false, nil
		}
	}
	if a >= size {
		return 0, 0, false, ErrInvalidRange
	}
	b = min(b, size-1)
	return a, b - a + 1, true, nil
}

// parseDigits parses a non-empty run of ASCII digits; values beyond int64
// saturate (a huge last-byte-pos is valid and means "to the end").
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return math.MaxInt64, true
	}
	return v, true
}

// parseCopySourceRange parses x-amz-copy-source-range, which S3 requires
// to be exactly "bytes=first-last".
func parseCopySourceRange(h string) (*ByteRange, error) {
	bad := ErrInvalidArgument.WithMessage("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return nil, bad
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, bad
	}
	a, ok1 := parseDigits(first)
	b, ok2 := parseDigits(last)
	if !ok1 || !ok2 || a == math.MaxInt64 || b == math.MaxInt64 || b < a {
		return nil, bad
	}
	return &ByteRange{First: a, Last: b}, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// contentRange formats a Content-Range value for [off, off+n) of size.
func contentRange(off, n, size int64) string {
	return "bytes " + itoa(off) + "-" + itoa(off+n-1) + "/" + itoa(size)
}
