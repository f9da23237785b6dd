package s3api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// writerToOnly is a body that can only write itself out: Read fails the
// test, so streamBody must use WriteTo (no copy through a buffer). It
// writes its data in chunks, then returns err.
type writerToOnly struct {
	t     *testing.T
	data  []byte
	chunk int
	err   error
}

func (s *writerToOnly) Read([]byte) (int, error) {
	s.t.Error("Read called on a body that has WriteTo")
	return 0, io.EOF
}

func (s *writerToOnly) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(s.data) > 0 {
		n, err := w.Write(s.data[:min(s.chunk, len(s.data))])
		total += int64(n)
		s.data = s.data[n:]
		if err != nil {
			return total, err
		}
	}
	return total, s.err
}

// failWriter accepts limit bytes, then fails as a closed connection does.
type failWriter struct {
	http.ResponseWriter
	limit int
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.ResponseWriter.Write(p[:f.limit])
		f.limit = 0
		return n, errors.New("connection reset by peer")
	}
	f.limit -= len(p)
	return f.ResponseWriter.Write(p)
}

// streamOut runs streamBody and reports whether it aborted the response.
func streamOut(rq *request, src io.Reader, n int64) (aborted bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			aborted = true
		}
	}()
	rq.streamBody(src, n)
	return false
}

func TestStreamBodyUsesWriteTo(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	n := int64(len(data))
	cases := []struct {
		name      string
		src       *writerToOnly
		w         func(http.ResponseWriter) http.ResponseWriter
		aborted   bool
		body      int    // bytes that reach the client
		detail    string // in rq.errDetail
		clientGon bool
	}{
		{name: "whole", src: &writerToOnly{data: data, chunk: 64 << 10}, body: len(data)},
		{name: "more than the length", src: &writerToOnly{data: append(data, "extra"...), chunk: 100 << 10}, body: len(data)},
		{name: "source error", src: &writerToOnly{data: data[:70000], chunk: 64 << 10, err: errors.New("segment 2 failed authentication")},
			aborted: true, body: 70000, detail: "reading object after 70000 of 262144 bytes: segment 2 failed authentication"},
		{name: "source ends early", src: &writerToOnly{data: data[:1000], chunk: 64 << 10},
			aborted: true, body: 1000, detail: "reading object after 1000 of 262144 bytes: unexpected EOF"},
		{name: "client gone", src: &writerToOnly{data: data, chunk: 64 << 10},
			w:       func(w http.ResponseWriter) http.ResponseWriter { return &failWriter{ResponseWriter: w, limit: 100000} },
			aborted: true, body: 100000, detail: "client went away: writing response body after 100000 of 262144 bytes", clientGon: true},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		var w http.ResponseWriter = rec
		if c.w != nil {
			w = c.w(rec)
		}
		rq := &request{w: newResponseWriter(w)}
		c.src.t = t
		if got := streamOut(rq, c.src, n); got != c.aborted {
			t.Errorf("%s: aborted %v, want %v", c.name, got, c.aborted)
		}
		if rec.Body.Len() != c.body || !bytes.Equal(rec.Body.Bytes(), data[:c.body]) {
			t.Errorf("%s: client got %d bytes, want the first %d", c.name, rec.Body.Len(), c.body)
		}
		if !strings.Contains(rq.errDetail, c.detail) || (c.detail == "") != (rq.errDetail == "") {
			t.Errorf("%s: errDetail %q, want %q", c.name, rq.errDetail, c.detail)
		}
		if rq.clientGone != c.clientGon {
			t.Errorf("%s: clientGone %v", c.name, rq.clientGone)
		}
	}
}
