package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Standard input redirected from an envelope file is read as the named
// file would be (a duplicate descriptor, its size known), decrypts
// byte-identically and stays open; standard input at another offset, a
// pipe or a non-file is streamed as before.
func TestDecryptStdinFile(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	mustRun(t, cmdKeygen, "-t", "x25519", "-o", p("k"))
	plain := make([]byte, 3<<20+5)
	rand.Read(plain)
	if err := os.WriteFile(p("plain"), plain, 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, cmdEncrypt, "-r", p("k.pub"), "-o", p("env"), p("plain"))
	f, err := os.Open(p("env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()

	d, size := stdinFile(f)
	if d == nil || size != st.Size() {
		t.Fatalf("a regular file at offset 0: %v, size %d of %d", d, size, st.Size())
	}
	d.Close()
	var out, errb bytes.Buffer
	if err := cmdDecrypt([]string{"-i", p("k")}, stdio{in: f, out: &out, err: &errb}); err != nil || !bytes.Equal(out.Bytes(), plain) {
		t.Fatalf("decrypt < file: %v %s, equal %v", err, errb.String(), bytes.Equal(out.Bytes(), plain))
	}
	if _, err := f.Stat(); err != nil {
		t.Fatalf("standard input closed by decrypt: %v", err)
	}

	if _, err := f.Seek(10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if d, _ := stdinFile(f); d != nil {
		t.Error("a file already read from is taken as a whole file")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if d, _ := stdinFile(pr); d != nil {
		t.Error("a pipe is taken as a file")
	}
	if d, _ := stdinFile(bytes.NewReader(plain)); d != nil {
		t.Error("a bytes.Reader is taken as a file")
	}
}
