package envelope

import (
	"bytes"
	"io"
	"os"
	"sort"
	"testing"

	"golang.org/x/sys/unix"
)

// advised is one read-ahead advice: a range of a file, by inode.
type advised struct {
	ino     uint64
	off, n  int64
	fileLen int64
}

// recordAdvice makes every window look cold (or warm) and records the
// advice readers give; each advice fails, as advice may, and no read
// must fail for it.
func recordAdvice(t *testing.T, cold bool) *[]advised {
	oldF, oldR := fadvise, pageResident
	t.Cleanup(func() { fadvise, pageResident = oldF, oldR })
	var log []advised
	fadvise = func(fd int, off, n int64) error {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			t.Fatal(err)
		}
		log = append(log, advised{ino: st.Ino, off: off, n: n, fileLen: st.Size})
		return unix.EIO
	}
	pageResident = func([]byte) bool { return !cold }
	return &log
}

func inode(t *testing.T, f *os.File) uint64 {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// coveredTo is how far from lo the advised body ranges cover without a
// gap.
func coveredTo(ranges [][2]int64, lo int64) int64 {
	sort.Slice(ranges, func(i, j int) bool { return ranges[i][0] < ranges[j][0] })
	for _, r := range ranges {
		if r[0] <= lo && r[1] > lo {
			lo = r[1]
		}
	}
	return lo
}

// readStepwise reads r to its end in 100 KiB reads, calling check after
// each, and returns what it read.
func readStepwise(t *testing.T, r io.Reader, check func()) []byte {
	var got bytes.Buffer
	p := make([]byte, 100<<10)
	for {
		n, err := r.Read(p)
		got.Write(p[:n])
		if err == io.EOF {
			return got.Bytes()
		}
		if err != nil {
			t.Fatal(err)
		}
		check()
	}
}

// A reader of a cold file asks the kernel for its window and the next
// one before it opens a segment of the window, never past the file's
// size or its range's last segment; failing advice fails no read; a warm
// file is not advised at all.
func TestReadAheadAdvice(t *testing.T) {
	const pad = 1234
	k, tab, body, plain := bigObject(t, 5<<20+12345)
	f := bodyFile(t, body, pad)
	ino := inode(t, f)
	seg := int64(k.segmentSize)
	for _, c := range []struct {
		name   string
		off, n int64
		cold   bool
	}{
		{"whole", 0, int64(len(plain)), true},
		{"range", 1<<20 + 1500, 1<<20 + 200<<10 + 7, true},
		{"to the end", 3<<20 + 99, int64(len(plain)) - (3<<20 + 99), true},
		{"warm", 0, int64(len(plain)), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			log := recordAdvice(t, c.cold)
			r, err := k.NewRangeReader(io.NewSectionReader(f, pad, int64(len(body))), tab, c.off, c.n)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			fm := r.(*rangeReader).fm
			fm.win = mapWindowMin
			j := (c.off + c.n - 1) / seg
			stop := saltSize + j*(seg+tagSize) + min(seg, int64(len(plain))-j*seg) + tagSize
			if fm.stop != stop {
				t.Fatalf("stop %d, want %d (the end of the range's last segment)", fm.stop, stop)
			}
			bodyRanges := func() [][2]int64 {
				var rs [][2]int64
				for _, a := range *log {
					if a.ino != ino || a.off+a.n > a.fileLen || a.off-pad+a.n > stop || a.n <= 0 {
						t.Fatalf("advice %+v: another file, past the file's size or past the range's end %d", a, stop)
					}
					rs = append(rs, [2]int64{a.off - pad, a.off - pad + a.n})
				}
				return rs
			}
			got := readStepwise(t, r, func() {
				if !c.cold || fm.m == nil {
					return
				}
				ws := fm.mOff - pad
				want := min(stop, ws+int64(len(fm.m))+mapWindowMin)
				if to := coveredTo(bodyRanges(), max(0, ws)); to < want {
					t.Fatalf("window [%d, %d): advised up to %d, want %d (the next window)", ws, ws+int64(len(fm.m)), to, want)
				}
			})
			if !bytes.Equal(got, plain[c.off:c.off+c.n]) {
				t.Fatal("plaintext differs")
			}
			if !c.cold && len(*log) > 0 {
				t.Errorf("a warm file was advised: %v", *log)
			}
			if c.cold && coveredTo(bodyRanges(), 0) < stop && c.off == 0 {
				t.Errorf("the whole range was not advised")
			}
		})
	}
}

// A multipart object's reader, in a part's last window, asks for the
// start of the next part's file before it maps it.
func TestReadAheadAdviceExtents(t *testing.T) {
	mapAll(t)
	const seg = 64 << 10
	sizes := []int{3 << 20 / 2, 700 << 10, 2 << 20, 5000}
	o, tab, body, plain, e := partsInFiles(t, seg, []int{1, 2, 3, 4}, func(n int) int { return sizes[n-1] })
	inos := map[uint64]int{}
	for i, f := range e.files {
		inos[inode(t, f)] = i
	}
	log := recordAdvice(t, true)
	r, err := o.k.NewRangeReader(io.NewSectionReader(e, 0, int64(len(body))), tab, 0, tab.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fm := r.(*rangeReader).fm
	fm.win = mapWindowMin
	bodyRanges := func() [][2]int64 {
		var rs [][2]int64
		for _, a := range *log {
			i, ok := inos[a.ino]
			if !ok || a.off < e.offs[i] || a.off+a.n > a.fileLen {
				t.Fatalf("advice %+v outside the part files' extents", a)
			}
			lo := a.off - e.offs[i] + e.start(i)
			rs = append(rs, [2]int64{lo, lo + a.n})
		}
		return rs
	}
	crossed := false
	got := readStepwise(t, r, func() {
		if fm.m == nil {
			return
		}
		ws := max(fm.mOff-fm.base, fm.lo)
		we := fm.mOff - fm.base + int64(len(fm.m))
		// The next window, as far as the next part's end.
		next := e.extent(ws) + 1
		want := min(int64(len(body)), we+mapWindowMin)
		if next < len(e.ends) {
			want = min(want, e.ends[next])
		}
		to := coveredTo(bodyRanges(), ws)
		if to < want {
			t.Fatalf("window [%d, %d) of part file %d: advised up to %d, want %d", ws, we, next-1, to, want)
		}
		crossed = crossed || to > fm.hi
	})
	if !bytes.Equal(got, plain) {
		t.Fatal("plaintext differs")
	}
	if !crossed {
		t.Error("no advice reached the next part's file while the reader was in the one before")
	}
}
