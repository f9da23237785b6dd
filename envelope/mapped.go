package envelope

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Mapped bodies. Reading a file with pread(2) copies its ciphertext from
// the page cache into the reader's buffer before the cipher reads it
// again: about a third more CPU per byte than AES-GCM alone (see
// BenchmarkRatio). When the body is an *os.File (directly or behind
// io.SectionReader, as the decrypt command passes it) or a backend object
// whose bytes lie in one file (a GET of a single PUT's object) or in one
// file per part (a multipart object), a range reader maps the file (one
// part's file at a time) read-only, mapWindow at a time, and opens each
// segment from the mapping into its own buffer: the cipher's pass is the
// only one over the ciphertext, and plaintext still exists only in the
// reader's buffer, released segment by segment as tags verify.
//
// A mapping faults if the file shrinks under it (SIGBUS). The window is
// never mapped past the file's size at the time of mapping, and opens
// from it run with debug.SetPanicOnFault, so a file truncated meanwhile
// fails that read with an error instead of killing the process.

// mapWindow is how much of a file one mapping covers. Mapping costs per
// call (and munmap a TLB flush): measured in CPU per byte against raw
// Open, 1 MiB windows 0.6, 8 MiB 0.85-0.93, 32 MiB 0.95-1.0 when every
// window was also madvised; without that, 2 MiB 0.84-0.88, 4 MiB
// 0.92-0.93, 8 MiB 0.95-0.98 (docs/BENCHMARKS.md). But mapped
// pages count in the process's resident set (RssFile: page cache, not
// memory of its own), so a gateway serving many GETs uses the small
// window and a single long reader (the decrypt command's parallel one)
// the large.
//
// Serial readers also share mapBudget: with more than
// mapBudget/mapWindow of them mapping at once, each maps its share, down
// to mapWindowMin. 16 GETs at 8 MiB each made the gateway's peak RSS 156
// MiB (get64 at 16 clients); at 4 MiB each it stays under 128 MiB, and
// 8 or fewer still get the whole window.
const (
	mapWindow      = 8 << 20
	mapWindowLarge = 32 << 20
	mapWindowMin   = 1 << 20
	mapBudget      = 64 << 20
)

// mapping counts the fileMaps not yet closed (the readers that share
// mapBudget).
var mapping atomic.Int64

// window is how much of the file fm maps next.
func (fm *fileMap) window() int64 {
	if fm.win > mapWindow {
		return fm.win
	}
	share := mapBudget / max(1, mapping.Load())
	return max(mapWindowMin, min(fm.win, share&^(mapWindowMin-1)))
}

// mapMin is the least range worth a mapping: duplicating the descriptor,
// fstat, mmap, madvise, munmap and close cost more than the pread copy of
// a small object (a GET of a 16 KiB file would pay six syscalls for one).
// A variable for the tests only.
var mapMin int64 = 1 << 20

type fileMap struct {
	fd     int   // a duplicate of the file's descriptor, closed by close; -1: none yet
	base   int64 // file offset of body offset 0
	lo, hi int64 // the body bytes the file holds: all of one file, an extent's
	size   int64 // file size when the window was mapped
	win    int64 // mapWindow (at most: see window) or mapWindowLarge
	m      []byte
	mOff   int64 // file offset of m[0]
	stop   int64 // body offset past the range's last segment: nothing beyond is read ahead
	ahead  int64 // body offset up to which the kernel was asked to read ahead (mapahead.go)

	ext     extentFiler   // the body, when its bytes lie in several files; else nil
	sec     int64         // offset of body offset 0 in ext's bytes (section readers)
	counter mappedCounter // told the bytes each view hands out, or nil
	closed  bool
}

// dataFiler is a body whose bytes all lie in one file, from off on (a
// posix backend object of one data file).
type dataFiler interface {
	DataFile() (f *os.File, off int64, ok bool)
}

// extentFiler is a body whose bytes lie in several files, one extent of
// them each (a posix backend object of several data files: a multipart
// upload's parts, one file each, so that a batch, which never crosses a
// part, lies in one file). ExtentFile runs fn with the open file that
// holds byte off, the extent [start, end) of the body's bytes it holds,
// and the file offset of byte start; the file is open only while fn
// runs. It returns false when it cannot (off outside the body, a file
// gone, a body of this kind that holds no files).
type extentFiler interface {
	ExtentFile(off int64, fn func(f *os.File, fileOff, start, end int64)) bool
}

// mappedCounter is a dataFiler or extentFiler that counts the bytes read
// through the mapping, as it counts those read through its ReadAt
// (metrics).
type mappedCounter interface {
	CountMapped(n int)
}

// mapBody returns a fileMap for body when it is a regular file, a
// dataFiler or an extentFiler, possibly behind (nested)
// io.SectionReaders; else nil. off is where reading starts. It
// duplicates descriptors, so a mapping never depends on how long the
// body's owner keeps its files open.
func mapBody(body io.ReaderAt, off int64) *fileMap {
	var base int64
	for {
		s, ok := body.(*io.SectionReader)
		if !ok {
			break
		}
		outer, off, _ := s.Outer()
		body, base = outer, base+off
	}
	var f *os.File
	counter, _ := body.(mappedCounter)
	switch b := body.(type) {
	case *os.File:
		f = b
	case dataFiler:
		if df, off, ok := b.DataFile(); ok {
			f, base = df, base+off
		}
	}
	if f == nil {
		ef, ok := body.(extentFiler)
		if !ok {
			return nil
		}
		fm := &fileMap{fd: -1, ext: ef, sec: base, counter: counter, win: mapWindow}
		if !fm.openExtent(off) {
			return nil
		}
		mapping.Add(1)
		return fm
	}
	fd, ok := dupFile(f)
	if !ok {
		return nil
	}
	mapping.Add(1)
	return &fileMap{fd: fd, base: base, hi: math.MaxInt64, counter: counter, win: mapWindow}
}

// dupFile duplicates f's descriptor when f is a regular file.
func dupFile(f *os.File) (int, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, false
	}
	fd := -1
	if rc.Control(func(s uintptr) { fd, _ = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }) != nil || fd < 0 {
		return -1, false
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return -1, false
	}
	return fd, true
}

// openExtent makes the file that holds body byte off the mapped one.
func (fm *fileMap) openExtent(off int64) bool {
	fm.closeFile()
	ok := fm.ext.ExtentFile(fm.sec+off, func(f *os.File, fileOff, start, end int64) {
		if fd, ok := dupFile(f); ok {
			fm.fd, fm.base = fd, fm.sec+fileOff-start
			fm.lo, fm.hi = start-fm.sec, end-fm.sec
		}
	})
	return ok && fm.fd >= 0 && off >= fm.lo && off < fm.hi
}

// view returns body bytes [off, off+n) from a mapping, mapping a new
// window when they lie outside the current one. ok is false when they
// cannot be mapped (beyond the file's end: the caller reads them with
// ReadAt, which reports the truncation).
func (fm *fileMap) view(off int64, n int) ([]byte, bool) {
	if off < fm.lo || off+int64(n) > fm.hi || fm.fd < 0 {
		// Another extent's bytes; a batch that crossed files, if a body
		// had one, would be read with ReadAt.
		if fm.ext == nil || !fm.openExtent(off) || off+int64(n) > fm.hi {
			return nil, false
		}
	}
	b, ok := fm.viewAt(fm.base+off, n)
	if ok && fm.counter != nil {
		fm.counter.CountMapped(n)
	}
	return b, ok
}

func (fm *fileMap) viewAt(start int64, n int) ([]byte, bool) {
	if fm.m != nil && start >= fm.mOff && start+int64(n) <= fm.mOff+int64(len(fm.m)) {
		return fm.m[start-fm.mOff:][:n], true
	}
	fm.unmap()
	var st unix.Stat_t
	if unix.Fstat(fm.fd, &st) != nil {
		return nil, false
	}
	fm.size = st.Size
	if start+int64(n) > fm.size {
		return nil, false
	}
	mOff := start &^ int64(os.Getpagesize()-1)
	limit := fm.size
	if fm.ext != nil {
		limit = min(limit, fm.base+fm.hi) // the extent's end in its file
	}
	length := min(limit, max(mOff+fm.window(), start+int64(n))) - mOff
	m, err := unix.Mmap(fm.fd, mOff, int(length), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, false
	}
	fm.m, fm.mOff = m, mOff
	fm.readAhead()
	return fm.m[start-fm.mOff:][:n], true
}

// close unmaps and closes the descriptor; the fileMap is done.
func (fm *fileMap) close() {
	fm.closeFile()
	if !fm.closed {
		fm.closed = true
		mapping.Add(-1)
	}
}

// closeFile unmaps the window and closes the file's descriptor.
func (fm *fileMap) closeFile() {
	fm.unmap()
	if fm.fd >= 0 {
		unix.Close(fm.fd)
		fm.fd = -1
	}
}

func (fm *fileMap) unmap() {
	if fm.m != nil {
		unix.Munmap(fm.m)
		fm.m = nil
	}
}

// openMapped is aead.Open of c, which may lie in a mapping, into dst;
// a fault reading c (the file shrank) is an error.
func openMapped(r *rangeReader, dst, nonce, c []byte) (pt []byte, err error) {
	if r.fm == nil {
		return r.aead.Open(dst, nonce, c, nil)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			pt, err = nil, r.fault(p)
		}
	}()
	return r.aead.Open(dst, nonce, c, nil)
}

// loadMapped is load for a mapped body: the batch's ciphertext is a view
// of the mapping, checked for its part salt as load does, and out is
// where its segments open to. Bytes that cannot be mapped (the file is
// shorter than the table says) are read with ReadAt into the buffer and
// opened in place, and ReadAt reports the truncation.
func (r *rangeReader) loadMapped(b batchPlan) (ct, out []byte, err error) {
	ct, ok := r.fm.view(b.ctOff, b.ctLen)
	if !ok {
		ct, err = r.load(*r.ctp, b)
		return ct, ct, err
	}
	if b.withSalt {
		p := &r.parts[b.part]
		var salt [saltSize]byte
		if err := r.copyMapped(salt[:], ct); err != nil {
			return nil, nil, err
		}
		if salt != p.Salt {
			return nil, nil, fmt.Errorf("%w: part %d salt differs from the part table (wrong or spliced part)", ErrAuth, p.Number)
		}
		ct = ct[saltSize:]
	}
	return ct, (*r.ctp)[:len(ct)], nil
}

// copyMapped copies from a mapping; a fault (the file shrank) is an error.
func (r *rangeReader) copyMapped(dst, src []byte) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = r.fault(p)
		}
	}()
	copy(dst, src)
	return nil
}

// fault turns the panic of a fault in a mapping into an error; any other
// panic goes on.
func (r *rangeReader) fault(p any) error {
	if _, ok := p.(interface{ Addr() uintptr }); !ok {
		panic(p)
	}
	return fmt.Errorf("%w: part %d body shrank while being read (%v)", ErrAuth, r.part.Number, p)
}
