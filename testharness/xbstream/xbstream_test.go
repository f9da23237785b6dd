package xbstream

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func genStream(t *testing.T, opts GenOptions) ([]byte, Manifest) {
	t.Helper()
	var b bytes.Buffer
	man, err := Generate(&b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), man
}

func TestGenerateExtractRoundTrip(t *testing.T) {
	for _, il := range []int{1, 4} {
		stream, man := genStream(t, GenOptions{Seed: 7, TotalSize: 3<<20 + 12345, ChunkSize: 256 << 10, Interleave: il})
		dir := t.TempDir()
		st, err := Extract(bytes.NewReader(stream), dir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Files != len(DefaultFiles(0)) {
			t.Errorf("interleave %d: extracted %d files, want %d", il, st.Files, len(DefaultFiles(0)))
		}
		got, err := HashDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if d := man.Diff(got); d != "" {
			t.Errorf("interleave %d: %s", il, d)
		}
	}
}

func TestInterleaveMixesFiles(t *testing.T) {
	stream, _ := genStream(t, GenOptions{Seed: 1, TotalSize: 4 << 20, ChunkSize: 128 << 10, Interleave: 3})
	r := NewReader(bytes.NewReader(stream))
	switches, last := 0, ""
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.Raw, c.Marshal()) {
			t.Fatalf("%s: Raw differs from Marshal", c)
		}
		if c.Path != last {
			switches++
			last = c.Path
		}
	}
	if switches <= len(DefaultFiles(0)) {
		t.Errorf("only %d path switches: chunks of files were not interleaved", switches)
	}
}

func TestReaderRejectsCorruption(t *testing.T) {
	stream, _ := genStream(t, GenOptions{Seed: 2, Files: []FileSpec{{"a/b.ibd", 5000}}, ChunkSize: 4096})
	flipped := bytes.Clone(stream)
	flipped[len(flipped)-100] ^= 1 // inside the second payload
	if _, err := Extract(bytes.NewReader(flipped), t.TempDir()); !errors.Is(err, ErrChecksum) {
		t.Errorf("flipped payload byte: got %v, want ErrChecksum", err)
	}
	magic := bytes.Clone(stream)
	magic[0] = 'Y'
	if _, err := Extract(bytes.NewReader(magic), t.TempDir()); !errors.Is(err, ErrFormat) {
		t.Errorf("bad magic: got %v, want ErrFormat", err)
	}
	// Cut inside a chunk, and cut cleanly before the EOF chunk: both fail.
	if _, err := Extract(bytes.NewReader(stream[:len(stream)-30]), t.TempDir()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut inside a chunk: got %v, want ErrUnexpectedEOF", err)
	}
	eofLen := len(Magic) + 2 + 4 + len("a/b.ibd")
	if _, err := Extract(bytes.NewReader(stream[:len(stream)-eofLen]), t.TempDir()); err == nil || !strings.Contains(err.Error(), "before the EOF chunk") {
		t.Errorf("missing EOF chunk: got %v", err)
	}
}

func TestReaderRejectsUnsafePaths(t *testing.T) {
	for _, p := range []string{"../x", "a/../../x", "/etc/passwd", "a\\b"} {
		c := &Chunk{Type: TypePayload, Path: "x", Payload: []byte("hi")}
		raw := c.Marshal()
		// Splice the hostile path in by hand: the writer refuses it.
		var b bytes.Buffer
		b.Write(raw[:10])
		b.Write([]byte{byte(len(p)), 0, 0, 0})
		b.WriteString(p)
		b.Write(raw[15:])
		dir := t.TempDir()
		if _, err := Extract(&b, filepath.Join(dir, "in")); !errors.Is(err, ErrFormat) {
			t.Errorf("path %q: got %v, want ErrFormat", p, err)
		}
		if err := NewWriter(io.Discard).WriteChunk(&Chunk{Type: TypeEOF, Path: p}); err == nil {
			t.Errorf("writer accepted path %q", p)
		}
	}
}

func TestSparseChunk(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	c := &Chunk{Type: TypeSparse, Path: "s.ibd", Offset: 10,
		Sparse:  []SparseEntry{{Skip: 5, Len: 3}, {Skip: 100, Len: 2}},
		Payload: []byte("abcde")}
	if err := w.WriteChunk(c); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteChunk(&Chunk{Type: TypeEOF, Path: "s.ibd"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Extract(&b, dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "s.ibd"))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 10+5+3+100+2)
	copy(want[15:], "abc")
	copy(want[118:], "de")
	if !bytes.Equal(got, want) {
		t.Errorf("sparse extract: got %q", got)
	}
	bad := &Chunk{Type: TypeSparse, Path: "s", Sparse: []SparseEntry{{0, 9}}, Payload: []byte("abc")}
	if err := w.WriteChunk(bad); err == nil {
		t.Error("writer accepted a sparse map that does not cover the payload")
	}
}

// TestMbstreamReadsGenerated checks the generator against the real
// extractor that ships with MariaDB, when it is installed (required in CI).
func TestMbstreamReadsGenerated(t *testing.T) {
	bin, err := exec.LookPath("mbstream")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mbstream not installed (CI=true: .ci/run must install mariadb-backup)")
		}
		t.Skip("mbstream not installed (Debian package mariadb-backup)")
	}
	stream, man := genStream(t, GenOptions{Seed: 3, TotalSize: 2 << 20, ChunkSize: 64 << 10, Interleave: 3})
	dir := t.TempDir()
	cmd := exec.Command(bin, "-x", "-C", dir)
	cmd.Stdin = bytes.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mbstream -x: %v\n%s", err, out)
	}
	got, err := HashDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := man.Diff(got); d != "" {
		t.Error(d)
	}
}

func TestWriteFile(t *testing.T) {
	var b bytes.Buffer
	data := bytes.Repeat([]byte("0123456789"), 1000)
	if err := NewWriter(&b).WriteFile("f", bytes.NewReader(data), 3000); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&b)
	var n, got int
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		got += len(c.Payload)
	}
	if n != 5 || got != len(data) {
		t.Errorf("WriteFile: %d chunks, %d bytes; want 5, %d", n, got, len(data))
	}
}
