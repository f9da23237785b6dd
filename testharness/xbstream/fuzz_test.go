package xbstream

import (
	"bytes"
	"testing"
)

// FuzzReader: arbitrary bytes never panic or allocate past the bounds, and
// every chunk the Reader accepts re-marshals to the bytes it was read from.
func FuzzReader(f *testing.F) {
	var b bytes.Buffer
	Generate(&b, GenOptions{Seed: 1, Files: []FileSpec{{"a", 100}, {"d/b", 0}}, ChunkSize: 64})
	f.Add(b.Bytes())
	sp := (&Chunk{Type: TypeSparse, Path: "s", Sparse: []SparseEntry{{1, 2}}, Payload: []byte("xy")}).Marshal()
	f.Add(sp)
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for {
			c, err := r.Next()
			if err != nil {
				return // io.EOF or a rejected chunk: both fine
			}
			if !bytes.Equal(c.Raw, c.Marshal()) {
				t.Fatalf("%s: Raw and Marshal differ", c)
			}
			if err := checkPath(c.Path); err != nil {
				t.Fatalf("accepted unsafe path %q", c.Path)
			}
		}
	})
}
