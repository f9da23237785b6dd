package posix

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Aligned writes. A data file's pages stay in the page cache as the
// folios its write(2) calls made, and a GET maps them (envelope's mapped
// reader): mapping, faulting and unmapping a file written in large
// writes that start and end on 64 KiB boundaries costs about half the
// CPU of one written in the part writer's batches (1 MiB of plaintext is
// 1 MiB + 256 bytes of ciphertext) after the 4 KiB reserved header, whose
// every write starts at an odd offset and so is cut into small folios
// (measured on Linux 6.18 / ext4: 25 against 47 ms per GiB mapped, some
// 5 % of the GET's decryption CPU; docs/BENCHMARKS.md). So a large Write
// goes out together with what is buffered before it, in one writev(2)
// that ends on the last writeAlign boundary p reaches; its remainder,
// less than writeAlign, waits in the buffer for the next Write. The
// bytes and their order in the file are exactly those written.

// writeAlign is the file-offset boundary large writes end on.
const writeAlign = 64 << 10

// writeBufSize batches small caller writes into large write(2) calls;
// writes at least this big go straight to the file (with what is
// buffered before them). 128 KiB holds a whole small object (header, a
// 64 KiB segment, record) for one write at seal, where 1 MiB held by
// each of a burst's small PUTs made most of its heap; large objects
// arrive in 1 MiB batches, of which at most writeAlign is buffered.
const writeBufSize = 128 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, writeBufSize); return &b }}

// alignedBuf is a writer's buffer in front of its file, which it writes
// sequentially from offset 0.
type alignedBuf struct {
	f   *os.File
	buf *[]byte // pooled
	off int64   // file offset of (*buf)[0]
}

func newAlignedBuf(f *os.File) *alignedBuf {
	return &alignedBuf{f: f, buf: bufPool.Get().(*[]byte)}
}

// Write buffers a small p; a large one is written with the buffered bytes
// up to a writeAlign boundary, and the rest of it buffered.
func (a *alignedBuf) Write(p []byte) (int, error) {
	b := *a.buf
	if len(p) < writeBufSize {
		if len(b)+len(p) > cap(b) {
			if err := a.Flush(); err != nil {
				return 0, err
			}
			b = *a.buf
		}
		*a.buf = append(b, p...)
		return len(p), nil
	}
	end := a.off + int64(len(b)) + int64(len(p))
	k := len(p) - int(end%writeAlign)
	if err := a.writev(b, p[:k]); err != nil {
		return 0, err
	}
	*a.buf = append(b[:0], p[k:]...)
	return len(p), nil
}

// Buffered is how many bytes wait in the buffer.
func (a *alignedBuf) Buffered() int { return len(*a.buf) }

// Flush writes what is buffered.
func (a *alignedBuf) Flush() error {
	if len(*a.buf) == 0 {
		return nil
	}
	if err := a.writev(*a.buf, nil); err != nil {
		return err
	}
	*a.buf = (*a.buf)[:0]
	return nil
}

// writev writes x then y at a.off, in one writev(2) unless it comes back
// short.
func (a *alignedBuf) writev(x, y []byte) error {
	rc, err := a.f.SyscallConn()
	if err != nil {
		return err
	}
	iov := [][]byte{x, y}
	var werr error
	cerr := rc.Control(func(fd uintptr) {
		for len(iov[0])+len(iov[1]) > 0 {
			n, err := unix.Writev(int(fd), iov)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				werr = &os.PathError{Op: "write", Path: a.f.Name(), Err: err}
				return
			}
			a.off += int64(n)
			for i := range iov {
				m := min(n, len(iov[i]))
				iov[i], n = iov[i][m:], n-m
			}
		}
	})
	if cerr != nil {
		return cerr
	}
	return werr
}

// release returns the buffer to the pool; the alignedBuf is done.
func (a *alignedBuf) release() {
	if a.buf != nil {
		*a.buf = (*a.buf)[:0]
		bufPool.Put(a.buf)
		a.buf = nil
	}
}
