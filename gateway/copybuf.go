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

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, copyBufSize)
	return &b
}}

var errTooLarge = errors.New("gateway: body exceeds the size limit")

// copyBody copies src to dst through a pooled buffer, filling the buffer
// before each write. It tells the two sides apart: readErr is the body's
// (the client's) fault, writeErr the storage's. More than limit bytes is
// readErr errTooLarge. Only io.EOF from src ends the copy cleanly.
func copyBody(dst io.Writer, src io.Reader, limit int64) (n int64, readErr, writeErr error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
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
