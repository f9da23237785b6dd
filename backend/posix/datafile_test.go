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

// ExtentFile names, for any byte of an object of several data files, the
// file that holds it, the extent of the object's bytes in that file and
// where the extent starts in it; nothing outside the object.
func TestExtentFile(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "mp", nil)
	if err != nil {
		t.Fatal(err)
	}
	var refs []backend.PartRef
	var all []byte
	for n, size := range []int{5000, 1, 70000} {
		data := bytes.Repeat([]byte{byte('a' + n)}, size)
		all = append(all, data...)
		refs = append(refs, backend.PartRef{Number: n + 1, ID: mustPart(t, b, "bkt", "mp", id, n+1, data)})
	}
	if _, err := b.CompleteUpload(ctx, "bkt", "mp", id, refs, nil); err != nil {
		t.Fatal(err)
	}
	o, err := b.Open(ctx, "bkt", "mp")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ef := o.(interface {
		ExtentFile(int64, func(*os.File, int64, int64, int64)) bool
	})
	for _, off := range []int64{0, 4999, 5000, 5001, 40000, int64(len(all)) - 1} {
		ok := ef.ExtentFile(off, func(f *os.File, fileOff, start, end int64) {
			if off < start || off >= end || end > int64(len(all)) {
				t.Errorf("byte %d: extent [%d, %d)", off, start, end)
				return
			}
			got := make([]byte, end-start)
			if _, err := f.ReadAt(got, fileOff); err != nil || !bytes.Equal(got, all[start:end]) {
				t.Errorf("byte %d: file at %d holds other bytes than [%d, %d) (%v)", off, fileOff, start, end, err)
			}
		})
		if !ok {
			t.Errorf("byte %d: no extent", off)
		}
	}
	for _, off := range []int64{-1, int64(len(all))} {
		if ef.ExtentFile(off, func(*os.File, int64, int64, int64) { t.Errorf("byte %d: called", off) }) {
			t.Errorf("byte %d outside the object: ok", off)
		}
	}
}
