package envelope

import (
	"bytes"
	"errors"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// mapAll makes every range reader map a file body, however short the
// range, for the rest of the test.
func mapAll(t *testing.T) {
	old := mapMin
	mapMin = 0
	t.Cleanup(func() { mapMin = old })
}

// bodyFile writes pad bytes then body to a file, so the body starts at an
// offset that is not page aligned, and returns the file.
func bodyFile(t *testing.T, body []byte, pad int) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "body"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(append(make([]byte, pad), body...)); err != nil {
		t.Fatal(err)
	}
	return f
}

// A file behind an io.SectionReader is mapped, and every range of a
// multipart object reads back exactly, serially and in parallel.
func TestMappedRanges(t *testing.T) {
	mapAll(t)
	const seg = 256
	o := newObject(t, seg)
	for n, s := range map[int]int{1: 5 * seg, 2: 3*seg + 17, 4: 0, 5: 1, 7: seg - 1, 9: 400*seg + 100} {
		o.put(t, n, randomBytes(t, s))
	}
	tb, body, plain := o.complete(t, 1, 2, 4, 5, 7, 9)
	tab, err := o.k.OpenTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	f := bodyFile(t, body, 1234)
	rng := mrand.New(mrand.NewPCG(5, 6))
	for i := 0; i < 600; i++ {
		off, n := int64(0), int64(len(plain))
		if i > 1 {
			off = rng.Int64N(int64(len(plain)) + 1)
			n = rng.Int64N(int64(len(plain)) - off + 1)
		}
		sr := io.NewSectionReader(f, 1234, int64(len(body)))
		r, err := o.k.NewParallelRangeReader(sr, tab, off, n, 1+i%3)
		if err != nil {
			t.Fatal(err)
		}
		if rr, ok := r.(*rangeReader); ok && rr.fm == nil {
			t.Fatal("file body not mapped")
		}
		var got bytes.Buffer
		if i%2 == 0 {
			_, err = r.(io.WriterTo).WriteTo(&got)
		} else {
			_, err = io.CopyBuffer(&got, struct{ io.Reader }{r}, make([]byte, 1+rng.IntN(3*seg)))
		}
		r.Close()
		if err != nil || !bytes.Equal(got.Bytes(), plain[off:off+n]) {
			t.Fatalf("range %d+%d: err %v, equal %v", off, n, err, bytes.Equal(got.Bytes(), plain[off:off+n]))
		}
	}
}

// A mapped body that is tampered with, shorter than the table says, or
// truncated while it is being read fails with an error: output stops
// before the bad segment, and a fault in the mapping never kills the
// process.
func TestMappedFailures(t *testing.T) {
	seg := DefaultSegmentSize
	segCT := seg + tagSize
	k, tab, body, plain := bigObject(t, 60*seg)
	read := func(f *os.File, n int64, workers int, during func()) ([]byte, error) {
		r, err := k.NewParallelRangeReader(io.NewSectionReader(f, 100, n), tab, 0, tab.Size(), workers)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		var got bytes.Buffer
		buf := make([]byte, 4096)
		for {
			m, err := r.Read(buf)
			got.Write(buf[:m])
			if err == io.EOF {
				return got.Bytes(), nil
			}
			if err != nil {
				return got.Bytes(), err
			}
			if got.Len() == 2*seg && during != nil {
				during()
			}
		}
	}
	for _, workers := range []int{1, 2} {
		bad := append([]byte(nil), body...)
		bad[saltSize+37*segCT+9] ^= 1
		got, err := read(bodyFile(t, bad, 100), int64(len(bad)), workers, nil)
		if !errors.Is(err, ErrAuth) || !bytes.Equal(got, plain[:37*seg]) {
			t.Errorf("tampered, %d workers: %d bytes, %v", workers, len(got), err)
		}
		// WriteTo hands out whole runs of segments at once: still none
		// of the bad one, nor of any after it.
		r, err := k.NewParallelRangeReader(io.NewSectionReader(bodyFile(t, bad, 100), 100, int64(len(bad))), tab, 0, tab.Size(), workers)
		if err != nil {
			t.Fatal(err)
		}
		var wt writes
		_, err = r.(io.WriterTo).WriteTo(&wt)
		r.Close()
		if !errors.Is(err, ErrAuth) || !bytes.Equal(wt.buf.Bytes(), plain[:37*seg]) {
			t.Errorf("tampered, %d workers, WriteTo: %d bytes, %v", workers, wt.buf.Len(), err)
		}
		if wt.n >= 37 {
			t.Errorf("WriteTo from a mapping: %d writes for 37 segments, want whole batches", wt.n)
		}
		// The section says the full size, the file holds less.
		short := bodyFile(t, body[:saltSize+30*segCT], 100)
		got, err = read(short, int64(len(body)), workers, nil)
		if !errors.Is(err, ErrAuth) || !bytes.Equal(got, plain[:len(got)]) || len(got) > 30*seg {
			t.Errorf("short file, %d workers: %d bytes, %v", workers, len(got), err)
		}
		// Truncated after the window was mapped: the next segment faults.
		f := bodyFile(t, body, 100)
		got, err = read(f, int64(len(body)), workers, func() {
			if err := f.Truncate(100 + int64(saltSize+20*segCT)); err != nil {
				t.Fatal(err)
			}
		})
		if workers == 1 && (err == nil || !strings.Contains(err.Error(), "shrank while being read")) {
			t.Errorf("truncated while read: %v, want the fault reported as such", err)
		}
		if err == nil || !bytes.Equal(got, plain[:len(got)]) || len(got) > 20*seg {
			t.Errorf("truncated while read, %d workers: %d bytes, %v", workers, len(got), err)
		}
	}
}

// dataFile is a body that says its bytes lie in f from off on, as a
// posix backend object of one file does; its own ReadAt must not be used.
type dataFile struct {
	t      *testing.T
	f      *os.File
	off    int64
	mapped *int // bytes reported through CountMapped
}

func (d dataFile) CountMapped(n int) { *d.mapped += n }

func (d dataFile) ReadAt(p []byte, off int64) (int, error) {
	d.t.Error("ReadAt of a body that can be mapped")
	return d.f.ReadAt(p, d.off+off)
}

func (d dataFile) DataFile() (*os.File, int64, bool) { return d.f, d.off, true }

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// A body that names its file is mapped through a duplicate descriptor,
// which Close closes, and reads back exactly; the mapping stays valid
// when the owner closes its file first; the bytes read through the
// mapping are reported to the body (metrics count them).
func TestMappedDataFile(t *testing.T) {
	k, tab, body, plain := bigObject(t, 3*DefaultSegmentSize+5)
	f := bodyFile(t, body, 4096)
	// A short range is read with ReadAt: a mapping would cost more.
	r, err := k.NewRangeReader(io.NewSectionReader(f, 4096, int64(len(body))), tab, 0, tab.Size())
	if err != nil {
		t.Fatal(err)
	}
	if r.(*rangeReader).fm != nil {
		t.Error("a range shorter than mapMin was mapped")
	}
	r.Close()
	mapAll(t)
	fds := openFDs(t)
	for _, ownerCloses := range []bool{false, true} {
		var mapped int
		r, err := k.NewRangeReader(io.NewSectionReader(dataFile{t, f, 4096, &mapped}, 0, int64(len(body))), tab, 0, tab.Size())
		if err != nil {
			t.Fatal(err)
		}
		if r.(*rangeReader).fm == nil {
			t.Fatal("not mapped")
		}
		if ownerCloses {
			f.Close()
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("owner closes %v: err %v, equal %v", ownerCloses, err, bytes.Equal(got, plain))
		}
		r.Close()
		if mapped != len(body) {
			t.Errorf("owner closes %v: %d bytes counted as read, the body has %d", ownerCloses, mapped, len(body))
		}
		if n := openFDs(t); n != fds-map[bool]int{false: 0, true: 1}[ownerCloses] {
			t.Errorf("owner closes %v: %d descriptors open after Close, %d before", ownerCloses, n, fds)
		}
	}
}

// writes collects what is written and counts the Write calls.
type writes struct {
	buf bytes.Buffer
	n   int
}

func (w *writes) Write(p []byte) (int, error) {
	w.n++
	return w.buf.Write(p)
}

// pageResident tells a page in the page cache from one that is not (a hole
// of a sparse file), which decides whether a window is read in ahead.
func TestResident(t *testing.T) {
	ps := os.Getpagesize()
	f := bodyFile(t, bytes.Repeat([]byte{7}, ps), 0)
	if err := f.Truncate(int64(3 * ps)); err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, 3*ps, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	if !pageResident(m[ps-1:]) {
		t.Error("a page just written is not resident")
	}
	if pageResident(m[2*ps+5:]) {
		t.Error("a hole never read is resident")
	}
}

// Serial readers that map at the same time share mapBudget: each maps a
// smaller window when there are many, the whole one when few, and a
// closed reader gives its share back.
func TestMappedWindowShared(t *testing.T) {
	mapAll(t)
	k, tab, body, plain := bigObject(t, 20<<20)
	f := bodyFile(t, body, 0)
	open := func() *rangeReader {
		r, err := k.NewRangeReader(io.NewSectionReader(f, 0, int64(len(body))), tab, 0, tab.Size())
		if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 1000)
		if _, err := io.ReadFull(r, p); err != nil || !bytes.Equal(p, plain[:1000]) {
			t.Fatalf("read: %v", err)
		}
		return r.(*rangeReader)
	}
	one := open()
	if len(one.fm.m) != mapWindow {
		t.Errorf("a reader alone maps %d bytes, want %d", len(one.fm.m), mapWindow)
	}
	one.Close()
	one.Close() // a second Close gives nothing back twice
	var rs []*rangeReader
	for range 2 * mapBudget / mapWindow {
		rs = append(rs, open())
	}
	// A reader keeps the window it has; the next one it maps is its share.
	p := make([]byte, mapWindow+1<<20)
	for _, r := range rs {
		if _, err := io.ReadFull(r, p); err != nil || !bytes.Equal(p, plain[1000:1000+len(p)]) {
			t.Fatalf("read: %v", err)
		}
		if len(r.fm.m) != mapWindow/2 {
			t.Errorf("one of %d readers maps %d bytes, want %d", len(rs), len(r.fm.m), mapWindow/2)
		}
	}
	for _, r := range rs {
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain[1000+len(p):]) {
			t.Fatalf("rest: %v", err)
		}
		r.Close()
	}
	if n := mapping.Load(); n != 0 {
		t.Errorf("%d readers still counted as mapping after Close", n)
	}
}
