package envelope

import (
	"bytes"
	"errors"
	"io"
	mrand "math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
)

// extentFiles is a body whose part bodies lie in files of their own, each
// after some other bytes, as a posix backend object of several data files
// keeps them; its own ReadAt counts what it serves.
type extentFiles struct {
	files  []*os.File
	offs   []int64 // where each extent starts in its file
	ends   []int64 // ends[i]: the body offset just past extent i
	mapped *int    // bytes reported through CountMapped
	reads  *int    // bytes served by ReadAt
}

func newExtentFiles(t *testing.T, bodies [][]byte) extentFiles {
	e := extentFiles{mapped: new(int), reads: new(int)}
	var end int64
	for i, b := range bodies {
		pad := 100 + 4096*i + i
		e.files = append(e.files, bodyFile(t, b, pad))
		e.offs = append(e.offs, int64(pad))
		end += int64(len(b))
		e.ends = append(e.ends, end)
	}
	return e
}

func (e extentFiles) extent(off int64) int {
	return sort.Search(len(e.ends), func(i int) bool { return e.ends[i] > off })
}

func (e extentFiles) start(i int) int64 {
	if i == 0 {
		return 0
	}
	return e.ends[i-1]
}

func (e extentFiles) ExtentFile(off int64, fn func(f *os.File, fileOff, start, end int64)) bool {
	i := e.extent(off)
	if off < 0 || i == len(e.ends) {
		return false
	}
	fn(e.files[i], e.offs[i], e.start(i), e.ends[i])
	return true
}

func (e extentFiles) CountMapped(n int) { *e.mapped += n }

func (e extentFiles) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		i := e.extent(off)
		if i == len(e.ends) {
			return n, io.EOF
		}
		m, err := e.files[i].ReadAt(p[n:min(len(p), n+int(e.ends[i]-off))], e.offs[i]+off-e.start(i))
		n, off = n+m, off+int64(m)
		*e.reads += m
		if err != nil && !(err == io.EOF && off == e.ends[i]) {
			return n, err
		}
	}
	return n, nil
}

// A multipart object whose parts lie in files of their own is mapped one
// part's file at a time: every range reads back exactly, its bytes all
// come through mappings, and a part file truncated under the reader fails
// the read with ErrAuth instead of killing the process.
func TestMappedExtents(t *testing.T) {
	mapAll(t)
	const seg = 256
	sizes := map[int]int{1: 5 * seg, 2: 3*seg + 17, 4: 0, 5: 900 * seg, 7: seg - 1}
	o, tab, body, plain, e := partsInFiles(t, seg, []int{1, 2, 4, 5, 7}, func(n int) int { return sizes[n] })
	rng := mrand.New(mrand.NewPCG(7, 8))
	for i := 0; i < 300; i++ {
		off, n := int64(0), int64(len(plain))
		if i > 0 {
			off = rng.Int64N(int64(len(plain)) + 1)
			n = rng.Int64N(int64(len(plain)) - off + 1)
		}
		*e.reads = 0
		r, err := o.k.NewRangeReader(io.NewSectionReader(e, 0, int64(len(body))), tab, off, n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 && r.(*rangeReader).fm == nil {
			t.Fatal("a body of part files is not mapped")
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
		// Only the empty part 4's salt and tag, checked before any byte
		// of a whole-object read, are read with ReadAt.
		if *e.reads > saltSize+tagSize {
			t.Fatalf("range %d+%d: %d bytes read with ReadAt", off, n, *e.reads)
		}
	}
	if *e.mapped < len(body)-saltSize-tagSize {
		t.Errorf("%d bytes counted as mapped, the body has %d", *e.mapped, len(body))
	}
	// Part 5's file is truncated once reading is under way.
	r, err := o.k.NewRangeReader(io.NewSectionReader(e, 0, int64(len(body))), tab, 0, tab.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := make([]byte, 10*seg)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatal(err)
	}
	if err := e.files[3].Truncate(e.offs[3] + int64(saltSize+400*(seg+tagSize))); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "part 5") || !bytes.Equal(rest, plain[len(p):len(p)+len(rest)]) {
		t.Errorf("part file truncated while read: %d more bytes, %v", len(rest), err)
	}
}

// partsInFiles completes a multipart object of the given part numbers,
// part n holding size(n) random bytes, and returns its table, body and
// plaintext with the body's parts in files of their own.
func partsInFiles(t *testing.T, seg int, numbers []int, size func(n int) int) (*object, *Table, []byte, []byte, extentFiles) {
	t.Helper()
	o := newObject(t, seg)
	var bodies [][]byte
	for _, n := range numbers {
		o.put(t, n, randomBytes(t, size(n)))
		bodies = append(bodies, o.bodies[n])
	}
	tb, body, plain := o.complete(t, numbers...)
	tab, err := o.k.OpenTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	return o, tab, body, plain, newExtentFiles(t, bodies)
}
