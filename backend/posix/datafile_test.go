package posix

import (
	"bytes"
	"os"
	"testing"

	"envelopegw/backend"
)

// DataFile names the one file that holds an object's bytes, at the right
// offset, for small (inline), large and empty single PUTs, and none for
// an object of several data files.
func TestDataFile(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	small := bytes.Repeat([]byte("s"), 3000)
	large := bytes.Repeat([]byte("0123456789"), 500_000)
	mustPut(t, b, "bkt", "small", small, nil)
	mustPut(t, b, "bkt", "large", large, nil)
	mustPut(t, b, "bkt", "empty", nil, nil)
	id, err := b.CreateUpload(ctx, "bkt", "mp", nil)
	if err != nil {
		t.Fatal(err)
	}
	var refs []backend.PartRef
	for n := 1; n <= 2; n++ {
		refs = append(refs, backend.PartRef{Number: n, ID: mustPart(t, b, "bkt", "mp", id, n, bytes.Repeat([]byte{'m'}, 10))})
	}
	if _, err := b.CompleteUpload(ctx, "bkt", "mp", id, refs, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		data []byte
		one  bool
	}{{"small", small, true}, {"large", large, true}, {"empty", nil, true}, {"mp", nil, false}} {
		o, err := b.Open(ctx, "bkt", c.key)
		if err != nil {
			t.Fatal(err)
		}
		f, off, ok := o.(interface {
			DataFile() (*os.File, int64, bool)
		}).DataFile()
		if ok != c.one {
			t.Errorf("%s: DataFile ok = %v", c.key, ok)
		}
		if ok {
			got := make([]byte, len(c.data))
			if _, err := f.ReadAt(got, off); err != nil || !bytes.Equal(got, c.data) {
				t.Errorf("%s: file at %d holds other bytes (%v)", c.key, off, err)
			}
		}
		o.Close()
	}
}
