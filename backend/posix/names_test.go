package posix

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"envelopegw/backend"
)

func TestKeyElems(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"a", []string{"oa"}},
		{"a/b", []string{"da", "ob"}},
		{"a/", []string{"da", "o"}},
		{"/", []string{"d", "o"}},
		{"//x", []string{"d", "d", "ox"}},
		{"..", []string{"o.."}},
		{"../..", []string{"d..", "o.."}},
		{".", []string{"o."}},
		{"100%", []string{"o100%%"}},
		{"tab\there\x00\x7f", []string{"otab%Ihere%@%?"}},
		{"日本/語", []string{"d日本", "o語"}},
		{strings.Repeat("x", 201), []string{"c" + strings.Repeat("x", 200), "ox"}},
		{strings.Repeat("x", 200) + "/y", []string{"d" + strings.Repeat("x", 200), "oy"}},
		{strings.Repeat("%", 101), []string{"c" + strings.Repeat("%%", 100), "o%%"}},
		// Cuts fall between runes: 66 three-byte runes fill 198 bytes.
		{strings.Repeat("語", 67), []string{"c" + strings.Repeat("語", 66), "o語"}},
	} {
		got := keyElems(tc.key)
		if !slices.Equal(got, tc.want) {
			t.Errorf("keyElems(%q) = %q, want %q", tc.key, got, tc.want)
		}
		if back, ok := decodeElems(got); !ok || back != tc.key {
			t.Errorf("decodeElems(keyElems(%q)) = %q, %v", tc.key, back, ok)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, elems := range [][]string{
		{}, {""}, {"x"}, {"da"}, {"ca"}, {"oa", "ob"}, {"o%"}, {"o%z"}, {"da", "xb"},
	} {
		if k, ok := decodeElems(elems); ok && len(elems) > 0 {
			t.Errorf("decodeElems(%q) = %q, want failure", elems, k)
		}
	}
}

func TestCheckBucket(t *testing.T) {
	for _, n := range []string{"abc", "a-b", "a.b", "123", "a1.b2-c3", strings.Repeat("z", 63)} {
		if err := checkBucket(n); err != nil {
			t.Errorf("checkBucket(%q) = %v", n, err)
		}
	}
	for _, n := range []string{"", "ABC", "a_b", "-ab", "ab-", "a..b", "1.2.3.4", ".envelopegw", "xn--ab", "ab-s3alias", "a/b", "..."} {
		if err := checkBucket(n); !errors.Is(err, backend.ErrInvalidBucket) {
			t.Errorf("checkBucket(%q) = %v, want ErrInvalidBucket", n, err)
		}
	}
}

// checkMapping asserts the properties List and traversal safety rest on.
func checkMapping(t *testing.T, key string) {
	if checkKey("b", key) != nil {
		return
	}
	elems := keyElems(key)
	base := "/root/buckets/b/objects"
	for _, e := range elems {
		if e == "" || e == "." || e == ".." || len(e) > 255 || strings.ContainsAny(e, "/\x00") {
			t.Fatalf("key %q: unsafe element %q", key, e)
		}
		if strings.ContainsFunc(e, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("key %q: element %q holds a control character", key, e)
		}
	}
	p := filepath.Join(append([]string{base}, elems...)...)
	rel, err := filepath.Rel(base, p)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") || len(strings.Split(rel, "/")) != len(elems) {
		t.Fatalf("key %q maps to %q, outside %s or not one element per name", key, p, base)
	}
	if len(rel) > 2200 {
		t.Fatalf("key %q: relative path of %d bytes", key, len(rel))
	}
	back, ok := decodeElems(elems)
	if !ok || back != key {
		t.Fatalf("key %q decodes back to %q (%v)", key, back, ok)
	}
	// Every prefix of the key starts its walk in a directory on the key's
	// path, whose bound is a prefix of the prefix.
	for i := 0; i <= len(key); i++ {
		prefix := key[:i]
		pe, bound := prefixElems(prefix)
		if len(pe) > len(elems)-1 || !slices.Equal(pe, elems[:len(pe)]) || !strings.HasPrefix(prefix, bound) {
			t.Fatalf("key %q prefix %q: walk starts at %q (bound %q), not on the key's path %q", key, prefix, pe, bound, elems)
		}
		if d, ok := decodeElems(append(slices.Clone(pe), "o")); !ok || d != bound {
			t.Fatalf("key %q prefix %q: bound %q does not match start directory %q", key, prefix, bound, pe)
		}
	}
}

func TestMappingProperties(t *testing.T) {
	for _, k := range []string{
		"a", "/", "..", "../../../etc/passwd", "a//b/", strings.Repeat("/", 1024), strings.Repeat("\x01", 1024),
		strings.Repeat("é", 512), strings.Repeat("ab/", 341) + "x", strings.Repeat("🦀", 256),
		// A prefix that ends inside a rune must not move a chunk cut.
		strings.Repeat("a", 199) + "語語", strings.Repeat("a", 198) + "🦀/b", strings.Repeat("%", 99) + "é" + strings.Repeat("x", 300),
	} {
		checkMapping(t, k)
	}
}

func FuzzKeyMapping(f *testing.F) {
	for _, k := range []string{"a", "a/b", "/", "..", "%", "\x00", strings.Repeat("x", 300), "日本/語/", "a\x7f/./../b"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if len(key) > maxKeyLen || !utf8.ValidString(key) {
			if checkKey("b", key) == nil {
				t.Fatalf("checkKey accepted %q", key)
			}
			return
		}
		checkMapping(t, key)
	})
}

func FuzzRecord(f *testing.F) {
	r := &record{Kind: kindHead, Key: "k", Extents: []extent{{ID: newID(), Size: 5}}, Meta: backend.Meta{"a": "b"}}
	f.Add(r.marshal())
	f.Add([]byte("egw1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := unmarshalRecord(b)
		if err != nil {
			return
		}
		again, err := unmarshalRecord(r.marshal())
		if err != nil || again.Key != r.Key || len(again.Extents) != len(r.Extents) || !again.Time.Equal(r.Time) {
			t.Fatalf("record does not survive a re-encoding: %v", err)
		}
	})
}
