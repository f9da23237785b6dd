package gateway

import (
	"errors"
	"io"
	"sync"
)

// copyBufSize is the size of the pooled buffers that move request bodies
// into part writers: large enough that every write down the stack is a big
// one, small enough that a few hundred concurrent uploads stay cheap.
const copyBufSize = 1 << 20

// smallCopyBufSize serves bodies declared this small or smaller: a burst
// of small PUTs at 16 clients held 16 MiB of 1 MiB copy buffers (and the
// heap grew to twice that) to move a few KiB each.
const smallCopyBufSize = 64 << 10

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, copyBufSize)
	return &b
}}

var smallBufPool = sync.Pool{New: func() any {
	b := make([]byte, smallCopyBufSize)
	return &b
}}

// copyPool is the pool whose buffers fit a body of the declared size (-1:
// unknown). A body longer than declared is still copied whole, in more
// writes, and refused by the caller's length check.
func copyPool(size int64) *sync.Pool {
	if size >= 0 && size <= smallCopyBufSize {
		return &smallBufPool
	}
	return &bufPool
}

var errTooLarge = errors.New("gateway: body exceeds the size limit")

// copyBody copies src to dst through a pooled buffer, filling the buffer
// before each write. It tells the two sides apart: readErr is the body's
// (the client's) fault, writeErr the storage's. More than limit bytes is
// readErr errTooLarge. Only io.EOF from src ends the copy cleanly. size is
// the declared length or -1; it only chooses the buffer.
func copyBody(dst io.Writer, src io.Reader, limit, size int64) (n int64, readErr, writeErr error) {
	pool := copyPool(size)
	bp := pool.Get().(*[]byte)
	defer pool.Put(bp)
	buf := *bp
	for {
		m, err := fill(src, buf)
		if m > 0 {
			if n+int64(m) > limit {
				return n, errTooLarge, nil
			}
			if _, werr := dst.Write(buf[:m]); werr != nil {
				return n, nil, werr
			}
			n += int64(m)
		}
		if err == io.EOF {
			return n, nil, nil
		}
		if err != nil {
			return n, err, nil
		}
	}
}

// fill reads into buf until it is full or src returns an error.
func fill(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
