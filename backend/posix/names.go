package posix

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"envelopegw/backend"
)

// maxKeyLen is the S3 limit on key length, in bytes.
const maxKeyLen = 1024

// maxElem bounds the encoded bytes of one path element below NAME_MAX (255)
// with room for the one-byte type tag.
const maxElem = 200

// Type tags that start every name in the objects tree. Because every name
// starts with one of them, no name is ever "", "." or "..", and a key "a"
// (file "oa") can live beside keys "a/..." (directory "da").
const (
	tagObject   = 'o' // a head file: the last chunk of the key's last component
	tagDir      = 'd' // a directory: a whole component followed by "/"
	tagContinue = 'c' // a directory: a chunk of a component too long for one name
)

// checkBucket enforces the S3 bucket naming rules (backend.CheckBucketName).
func checkBucket(name string) error { return backend.CheckBucketName(name) }

// checkKey enforces the S3 key rules: 1 to 1024 bytes of valid UTF-8.
func checkKey(bucket, key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%s: empty key: %w", bucket, backend.ErrInvalidKey)
	case len(key) > maxKeyLen:
		return fmt.Errorf("%s: key of %d bytes exceeds %d: %w", bucket, len(key), maxKeyLen, backend.ErrInvalidKey)
	case !utf8.ValidString(key):
		return fmt.Errorf("%s/%q: key is not valid UTF-8: %w", bucket, key, backend.ErrInvalidKey)
	}
	return nil
}

// needsEscape reports the bytes that never appear raw in a name: '%' (the
// escape itself) and the control characters, which are legal in Linux names
// but make a volume miserable to inspect with a shell.
func needsEscape(c byte) bool { return c == '%' || c < 0x20 || c == 0x7f }

// escapeByte returns the second byte of the two-byte escape of c.
func escapeByte(c byte) byte {
	switch {
	case c == '%':
		return '%'
	case c == 0x7f:
		return '?'
	default:
		return c + '@' // 0x00..0x1f -> '@'..'_'
	}
}

func unescapeByte(e byte) (byte, bool) {
	switch {
	case e == '%':
		return '%', true
	case e == '?':
		return 0x7f, true
	case e >= '@' && e <= '_':
		return e - '@', true
	}
	return 0, false
}

// encodeChunks splits one key component into encoded chunks of at most
// maxElem bytes each, cutting only between runes. An empty component yields
// one empty chunk. The cut is greedy, so the full chunks of a prefix of a
// component are the leading chunks of the component: List relies on that to
// descend straight to the directory that holds a prefix.
func encodeChunks(comp string) []string {
	if comp == "" {
		return []string{""}
	}
	var chunks []string
	var b strings.Builder
	for i := 0; i < len(comp); {
		_, n := utf8.DecodeRuneInString(comp[i:])
		w := encodedWidth(comp[i : i+n])
		if b.Len()+w > maxElem {
			chunks = append(chunks, b.String())
			b.Reset()
		}
		appendEscaped(&b, comp[i:i+n])
		i += n
	}
	return append(chunks, b.String())
}

// encodedWidth is the length of s once escaped.
func encodedWidth(s string) int {
	w := len(s)
	for i := 0; i < len(s); i++ {
		if needsEscape(s[i]) {
			w++
		}
	}
	return w
}

func appendEscaped(b *strings.Builder, s string) {
	for j := 0; j < len(s); j++ {
		if c := s[j]; needsEscape(c) {
			b.WriteByte('%')
			b.WriteByte(escapeByte(c))
		} else {
			b.WriteByte(c)
		}
	}
}

// escapeName escapes s for use as (the rest of) one name, without cutting.
func escapeName(s string) string {
	for i := 0; i < len(s); i++ {
		if needsEscape(s[i]) {
			var b strings.Builder
			b.Grow(len(s) + 8)
			appendEscaped(&b, s)
			return b.String()
		}
	}
	return s
}

// decodeName undoes the escaping of one encoded chunk (without its tag).
func decodeName(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		c, ok := unescapeByte(s[i+1])
		if !ok {
			return "", false
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), true
}

// keyElems maps a key to the path elements of its head file below the
// bucket's objects directory. Components are split on "/"; every component
// but the last becomes a 'd' directory, the last one an 'o' file, and a
// component too long for one name is cut into 'c' directories first.
func keyElems(key string) []string {
	comps := strings.Split(key, "/")
	elems := make([]string, 0, len(comps)+1)
	for i, comp := range comps {
		chunks := encodeChunks(comp)
		for j, ch := range chunks {
			tag := byte(tagDir)
			switch {
			case j < len(chunks)-1:
				tag = tagContinue
			case i == len(comps)-1:
				tag = tagObject
			}
			elems = append(elems, string(tag)+ch)
		}
	}
	return elems
}

// prefixElems returns the directory elements that every key starting with
// prefix lies under, and the key prefix those directories stand for. List
// starts its walk there instead of at the top of the bucket.
func prefixElems(prefix string) (elems []string, dirPrefix string) {
	comps := strings.Split(prefix, "/")
	for i, comp := range comps {
		chunks := encodeChunks(comp)
		if i < len(comps)-1 {
			for j, ch := range chunks {
				tag := byte(tagDir)
				if j < len(chunks)-1 {
					tag = tagContinue
				}
				elems = append(elems, string(tag)+ch)
			}
			dirPrefix += comp + "/"
			continue
		}
		// The last, partial component: only its full chunks are certain,
		// and only when cut between whole runes, so an incomplete rune at
		// the end of the prefix is left to the filter.
		chunks = encodeChunks(trimPartialRune(comp))
		for _, ch := range chunks[:len(chunks)-1] {
			elems = append(elems, string(rune(tagContinue))+ch)
			d, _ := decodeName(ch)
			dirPrefix += d
		}
	}
	return elems, dirPrefix
}

// trimPartialRune drops an incomplete UTF-8 sequence from the end of s.
func trimPartialRune(s string) string {
	for i := len(s) - 1; i >= 0 && i >= len(s)-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			if !utf8.FullRuneInString(s[i:]) {
				return s[:i]
			}
			break
		}
	}
	return s
}

// decodeElems is the inverse of keyElems; ok is false for anything keyElems
// never produces.
func decodeElems(elems []string) (string, bool) {
	var b strings.Builder
	for i, e := range elems {
		if e == "" {
			return "", false
		}
		d, ok := decodeName(e[1:])
		if !ok {
			return "", false
		}
		last := i == len(elems)-1
		switch e[0] {
		case tagObject:
			if !last {
				return "", false
			}
			b.WriteString(d)
		case tagDir:
			if last {
				return "", false
			}
			b.WriteString(d)
			b.WriteByte('/')
		case tagContinue:
			if last {
				return "", false
			}
			b.WriteString(d)
		default:
			return "", false
		}
	}
	return b.String(), true
}
