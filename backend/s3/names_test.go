package s3

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestKeyNameOrder: names sort like their keys (a group's members sort
// among themselves by hash, but the group sorts where its keys belong),
// fit the upstream limits, and decode back.
func TestKeyNameOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "/", "b", "é", "\x00", "~", "!", "z", "%", "."}
	keys := []string{strings.Repeat("/", 1024), strings.Repeat("k", 1024), strings.Repeat("é/", 341) + "x", "a", "a/"}
	for range 3000 {
		var sb strings.Builder
		for range 1 + r.IntN(6) {
			sb.WriteString(strings.Repeat(pieces[r.IntN(len(pieces))], 1+r.IntN(250)))
		}
		if k := sb.String(); len(k) <= maxKey {
			keys = append(keys, k)
		}
	}
	group := func(k string) string { return k[:min(len(k), groupLen+1)] }
	for i, a := range keys {
		na := keyName(a)
		if len(na) > 800 {
			t.Fatalf("name of a %d-byte key is %d bytes", len(a), len(na))
		}
		for _, c := range strings.Split(na, "/") {
			if c == "" || len(c) > chunkLen+len(groupSep)+32 {
				t.Fatalf("bad component %q", c)
			}
		}
		k, grouped, err := decodeName(na)
		if err != nil || grouped != (len(a) > groupLen) || !grouped && k != a {
			t.Fatalf("decode(%q) = %q %v %v", na, k, grouped, err)
		}
		b := keys[(i*7919+1)%len(keys)]
		if group(a) == group(b) && len(a) > groupLen && len(b) > groupLen {
			continue
		}
		if (a < b) != (na < keyName(b)) || (a == b) != (na == keyName(b)) {
			t.Fatalf("order of %.60q and %.60q is lost in %.60q, %.60q", a, b, na, keyName(b))
		}
		if n, ok := prefixName(a[:len(a)/2]); ok && !strings.HasPrefix(na, n) {
			t.Fatalf("prefix name %q is no prefix of %q", n, na)
		}
		if n, ok := prefixName(a[:len(a)/2]); ok && !(na < pastPrefix(n)) {
			t.Fatalf("%q sorts after pastPrefix(%q)", na, n)
		}
	}
}
