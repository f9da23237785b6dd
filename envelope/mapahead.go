package envelope

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Reading ahead of a mapping. A body that is not in the page cache (a
// GET of a large object the cache has moved on from) is read in as the
// reader faults on it, or as fast as the kernel's read-ahead of the
// faults goes. To keep the disk busy while segments are verified, a
// reader that finds its window cold asks the kernel (POSIX_FADV_WILLNEED,
// which starts the reads and returns) for that window and the next one;
// from then on each new window asks for the one after it, so the disk is
// always one window ahead of the cipher. The window after the last one
// of a part's file lies in the next part's file: the advice goes there.
//
// Only a cold reader asks: WILLNEED looks every page of its range up in
// the page cache even when all are there, about 5 % of the reader's CPU
// per byte on a GET from the page cache. Whether a window's last page is
// resident is one mincore(2), and tells a window a reader (or a previous
// GET) has already been through. Advice never reaches past the range's
// last segment (a range GET reads no more than it needs), the file's
// size or the extent's end. It is only advice: an error is ignored, and
// the read itself still reports what is wrong with the body.

// fadvise asks the kernel to start reading [off, off+n) of fd; a variable
// so that the tests see every call and make them fail.
var fadvise = func(fd int, off, n int64) error {
	return unix.Fadvise(fd, off, n, unix.FADV_WILLNEED)
}

// pageResident reports whether the page holding b[0], in a mapping, is
// in memory (mincore(2); for a file mapping, in the page cache). An error
// says no: the caller then only asks for pages to be read. A variable for
// the tests.
var pageResident = func(b []byte) bool {
	page := uintptr(unsafe.Pointer(&b[0])) &^ uintptr(os.Getpagesize()-1)
	var vec [1]byte
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, page, 1, uintptr(unsafe.Pointer(&vec[0])))
	return errno == 0 && vec[0]&1 != 0
}

// readAhead runs after a window is mapped: when the reader is already
// reading ahead, or the window is cold, it asks for the rest of this
// window and the whole next one.
func (fm *fileMap) readAhead() {
	// The window in body offsets (a mapping starts at a page boundary,
	// which may lie before the body's first byte in its file).
	ws := max(fm.mOff-fm.base, fm.lo)
	we := fm.mOff - fm.base + int64(len(fm.m))
	if fm.ahead <= ws && pageResident(fm.m[len(fm.m)-1:]) {
		return
	}
	to := min(we+fm.window(), fm.stop)
	from := max(ws, fm.ahead)
	if from < to {
		fm.advise(from, to)
	}
}

// advise asks for body bytes [from, to) in the current file and, past its
// extent's end, in the next extent's file.
func (fm *fileMap) advise(from, to int64) {
	if end := min(to, fm.hi, fm.size-fm.base); from < end {
		_ = fadvise(fm.fd, fm.base+from, end-from) // only advice
		fm.ahead = end
	}
	if fm.ext == nil || to <= fm.hi || fm.ahead < fm.hi {
		return
	}
	fm.ext.ExtentFile(fm.sec+fm.hi, func(f *os.File, fileOff, start, end int64) {
		lo, hi := start-fm.sec, min(to, end-fm.sec)
		a := max(lo, from)
		if lo != fm.hi || hi <= a {
			return
		}
		rc, err := f.SyscallConn()
		if err != nil {
			return
		}
		rc.Control(func(fd uintptr) { _ = fadvise(int(fd), fileOff+a-lo, hi-a) })
		fm.ahead = hi
	})
}
