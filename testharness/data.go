package testharness

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

// DataReader returns n deterministic pseudo-random bytes derived from seed
// (ChaCha8, several GB/s): the same seed and n always give the same stream,
// so a test can regenerate its expected data instead of keeping it.
func DataReader(seed uint64, n int64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return io.LimitReader(rand.NewChaCha8(s), n)
}

// Data returns DataReader(seed, n) as a slice, for objects small enough to
// hold in memory.
func Data(seed uint64, n int) []byte {
	b := make([]byte, n)
	io.ReadFull(DataReader(seed, int64(n)), b)
	return b
}

// WriteDataFile streams DataReader(seed, n) to path and returns the
// hex SHA-256 of what it wrote.
func WriteDataFile(t testing.TB, path string, seed uint64, n int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(f, h), DataReader(seed, n), make([]byte, 1<<20)); err != nil {
		f.Close()
		t.Fatalf("write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SHA256Hex is the hex SHA-256 of everything r yields, and its length.
func SHA256Hex(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.CopyBuffer(h, r, make([]byte, 1<<20))
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// FileSHA256 is the hex SHA-256 of a file's contents.
func FileSHA256(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, _, err := SHA256Hex(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return s
}
