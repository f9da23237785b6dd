package s3api

import (
	"errors"
	"io"
	"net/http"
)

// streamBody copies exactly n bytes to the client. Headers are already
// sent, so a failure can no longer be an error response: it aborts the
// connection, which the client sees as a truncated transfer instead of a
// clean short body that looks complete.
//
// A source with WriteTo (the gateway's decrypting reader) writes its
// verified plaintext straight from its own buffer to the response: no
// copy into a buffer of ours, which on a large GET costs as much CPU as
// a tenth of the decryption.
func (rq *request) streamBody(src io.Reader, n int64) {
	if wt, ok := src.(io.WriterTo); ok {
		rq.streamBodyTo(wt, n)
		return
	}
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	var sent int64
	for sent < n {
		want := min(int64(len(buf)), n-sent)
		m, err := io.ReadFull(src, buf[:want])
		if m > 0 {
			if _, werr := rq.w.Write(buf[:m]); werr != nil {
				rq.writeFailed(werr, sent, n)
				panic(http.ErrAbortHandler)
			}
			sent += int64(m)
		}
		if err != nil && sent < n {
			rq.errDetail = "reading object after " + itoa(sent) + " of " + itoa(n) + " bytes: " + err.Error()
			panic(http.ErrAbortHandler)
		}
	}
}

// streamBodyTo is streamBody for a source that writes itself out.
func (rq *request) streamBodyTo(src io.WriterTo, n int64) {
	bw := &bodyWriter{w: rq.w, left: n}
	_, err := src.WriteTo(bw)
	sent := n - bw.left
	switch {
	case bw.err != nil:
		rq.writeFailed(bw.err, sent, n)
		panic(http.ErrAbortHandler)
	case sent < n:
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		rq.errDetail = "reading object after " + itoa(sent) + " of " + itoa(n) + " bytes: " + err.Error()
		panic(http.ErrAbortHandler)
	}
	// sent == n: anything the source says after the n-th byte (more
	// bytes, an error) no longer concerns this response.
}

// errBodyLong stops a source that has more than the response's length.
var errBodyLong = errors.New("object reader has more bytes than the response length")

// bodyWriter passes at most left bytes to w and keeps w's own error
// apart, so that a client going away is told from a failing source.
type bodyWriter struct {
	w    io.Writer
	left int64
	err  error
}

func (b *bodyWriter) Write(p []byte) (int, error) {
	long := int64(len(p)) > b.left
	if long {
		p = p[:b.left]
	}
	n, err := b.w.Write(p)
	b.left -= int64(n)
	if err != nil {
		b.err = err
		return n, err
	}
	if long {
		return n, errBodyLong
	}
	return n, nil
}
