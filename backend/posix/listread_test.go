package posix

import (
	"fmt"
	"slices"
	"testing"

	"envelopegw/backend"
)

// Pages whose heads are read concurrently (batches of listParallelMin and
// more) skip damaged heads, keep key order, and are truncated exactly
// when one more intact key exists, whatever the page size.
func TestListConcurrentHeadReads(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	var want []string
	for i := range 60 {
		k := fmt.Sprintf("d/k%02d", i)
		mustPut(t, b, "bkt", k, []byte("x"), nil)
		switch i {
		case 5, 20, 21, 59:
			damage(t, b.headPath("bkt", k), []byte("egw1 garbled"))
		default:
			want = append(want, k)
		}
	}
	for _, max := range []int{1, 7, 10, 16, 17, len(want) - 1, len(want), 1000} {
		var got []string
		o := backend.ListOptions{MaxKeys: max}
		for pages := 0; ; pages++ {
			p, err := b.List(ctx, "bkt", o)
			if err != nil {
				t.Fatal(err)
			}
			for _, obj := range p.Objects {
				got = append(got, obj.Key)
			}
			if len(p.Objects) > max || (p.IsTruncated && len(p.Objects) != max) {
				t.Fatalf("MaxKeys %d: page of %d, truncated %v", max, len(p.Objects), p.IsTruncated)
			}
			if !p.IsTruncated {
				break
			}
			if p.NextAfter != got[len(got)-1] {
				t.Fatalf("MaxKeys %d: NextAfter %q after %q", max, p.NextAfter, got[len(got)-1])
			}
			o.After = p.NextAfter
			if pages > len(want) {
				t.Fatalf("MaxKeys %d: no end", max)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("MaxKeys %d: listed %q\nwant %q", max, got, want)
		}
	}
}
