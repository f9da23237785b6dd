package metrics

import (
	"bytes"
	"context"
	"os"
	"testing"

	"envelopegw/backend/posix"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The wrapped object still names its file (and its extents' files) for a
// reader to map, and what the reader reports reading through the mapping
// is counted as read.
func TestBackendCountsMapped(t *testing.T) {
	ctx := context.Background()
	m := New(Build{})
	pb, err := posix.New(t.TempDir(), posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	be := m.Backend(pb)
	if err := be.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	w, err := be.NewObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("y"), 5000))
	if _, err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
	o, err := be.Open(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	mo, ok := o.(interface {
		DataFile() (*os.File, int64, bool)
		CountMapped(int)
	})
	if !ok {
		t.Fatal("the counted object hides DataFile or CountMapped")
	}
	f, off, ok := mo.DataFile()
	got := make([]byte, 5000)
	if !ok {
		t.Fatal("no data file for a single PUT")
	}
	if _, err := f.ReadAt(got, off); err != nil || !bytes.Equal(got, bytes.Repeat([]byte("y"), 5000)) {
		t.Fatalf("data file at %d: %v", off, err)
	}
	ef, ok := o.(interface {
		ExtentFile(int64, func(*os.File, int64, int64, int64)) bool
	})
	if !ok {
		t.Fatal("the counted object hides ExtentFile")
	}
	called := ef.ExtentFile(10, func(ef *os.File, fileOff, start, end int64) {
		if ef != f || fileOff != off || start != 0 || end != 5000 {
			t.Errorf("extent of byte 10: %v at %d, [%d, %d); want the data file at %d, [0, 5000)", ef, fileOff, start, end, off)
		}
	})
	if !called {
		t.Error("no extent for byte 10")
	}
	mo.CountMapped(4000)
	if got := testutil.ToFloat64(m.backendBytes.WithLabelValues("read")); got != 4000 {
		t.Errorf("bytes read %v, want 4000", got)
	}
}
