package posix

import (
	"slices"
	"strings"
	"testing"

	"envelopegw/backend"
)

// refList is a plain reference listing over all keys.
func refList(keys []string, o backend.ListOptions) []string {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	var out []string
	for _, k := range slices.Compact(sorted) {
		if !strings.HasPrefix(k, o.Prefix) || k <= o.After {
			continue
		}
		if o.Delimiter != "" {
			if i := strings.Index(k[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp := k[:len(o.Prefix)+i+len(o.Delimiter)]
				if cp <= o.After || len(out) > 0 && out[len(out)-1] == cp {
					continue
				}
				k = cp
			}
		}
		out = append(out, k)
	}
	return out
}

// TestListChunkBoundaries lists keys whose long components are cut into
// continuation directories at different places (the rune after the cut
// differs in width), with After and Prefix at and around every cut.
func TestListChunkBoundaries(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	var keys []string
	for _, base := range []string{strings.Repeat("a", 199), strings.Repeat("a", 198), strings.Repeat("a", 197), strings.Repeat("a", 200)} {
		for _, tail := range []string{"", "b", "語x", "🦀", "\x01", "/", "/z", "b/c", "語/d", "a" + strings.Repeat("q", 250), "-"} {
			keys = append(keys, base+tail)
		}
	}
	for _, k := range keys {
		mustPut(t, b, "bkt", k, nil, nil)
	}
	var probes []string
	for _, k := range keys {
		for i := 194; i <= len(k) && i < 206; i++ {
			probes = append(probes, k[:i])
		}
		probes = append(probes, k, k+"\x00", k+"/")
	}
	for _, p := range probes {
		for _, o := range []backend.ListOptions{
			{After: p}, {Prefix: p}, {After: p, Delimiter: "/"}, {Prefix: p, Delimiter: "/"},
			{Prefix: p[:len(p)/2], After: p}, {After: p, Delimiter: "語"},
		} {
			o.MaxKeys = 10000
			page, err := b.List(ctx, "bkt", o)
			if err != nil {
				t.Fatal(err)
			}
			got := append(pageKeysSorted(page), []string{}...)
			if want := refList(keys, o); !slices.Equal(got, want) {
				t.Fatalf("List(Prefix %q After %q Delimiter %q):\n got %q\nwant %q", o.Prefix, o.After, o.Delimiter, got, want)
			}
		}
	}
}

func pageKeysSorted(p backend.ListPage) []string {
	ks := pageKeys(p)
	slices.Sort(ks)
	return ks
}
