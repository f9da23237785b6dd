package xbstream

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// ExtractStats reports what Extract wrote.
type ExtractStats struct {
	Files  int   // files closed by their EOF chunk
	Chunks int   // chunks read
	Bytes  int64 // payload bytes written
}

// Extract reads the stream r and writes its files under dir, like
// `mbstream -x -C dir`. It fails on the first bad chunk, and when the
// stream ends while a file has not seen its EOF chunk (a truncated stream
// must not pass for a complete one).
func Extract(r io.Reader, dir string) (ExtractStats, error) {
	var st ExtractStats
	open := map[string]*os.File{}
	defer func() {
		for _, f := range open {
			f.Close()
		}
	}()
	xr := NewReader(r)
	for {
		c, err := xr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, err
		}
		st.Chunks++
		f := open[c.Path]
		if f == nil {
			// checkPath (run by the Reader) has ruled out absolute paths
			// and "..", so the join stays under dir.
			name := filepath.Join(dir, filepath.FromSlash(c.Path))
			if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
				return st, fmt.Errorf("xbstream: extract %q: %w", c.Path, err)
			}
			if f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640); err != nil {
				return st, fmt.Errorf("xbstream: extract %q: %w", c.Path, err)
			}
			open[c.Path] = f
		}
		switch c.Type {
		case TypeEOF:
			delete(open, c.Path)
			if err := f.Close(); err != nil {
				return st, fmt.Errorf("xbstream: extract %q: %w", c.Path, err)
			}
			st.Files++
		case TypePayload:
			if _, err := f.WriteAt(c.Payload, int64(c.Offset)); err != nil {
				return st, fmt.Errorf("xbstream: extract %s: %w", c, err)
			}
			st.Bytes += int64(len(c.Payload))
		case TypeSparse:
			pos, p := int64(c.Offset), c.Payload
			for _, e := range c.Sparse {
				pos += int64(e.Skip)
				if _, err := f.WriteAt(p[:e.Len], pos); err != nil {
					return st, fmt.Errorf("xbstream: extract %s: %w", c, err)
				}
				pos += int64(e.Len)
				p = p[e.Len:]
			}
			// A trailing hole must still give the file its length.
			if fi, err := f.Stat(); err == nil && fi.Size() < pos {
				if err := f.Truncate(pos); err != nil {
					return st, fmt.Errorf("xbstream: extract %s: %w", c, err)
				}
			}
			st.Bytes += int64(len(c.Payload))
		}
	}
	if len(open) > 0 {
		names := make([]string, 0, len(open))
		for n := range open {
			names = append(names, n)
		}
		sort.Strings(names)
		return st, fmt.Errorf("xbstream: stream ended before the EOF chunk of %q (truncated stream?)", names)
	}
	return st, nil
}
