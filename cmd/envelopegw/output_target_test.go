package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOutputToFIFOAndLink: -o naming an existing FIFO (as /dev/null or a
// pipe to a restore tool would be) writes into it rather than renaming a
// file of plaintext over it, and -o naming a symbolic link replaces the
// file the link names, keeping the link.
func TestOutputToFIFOAndLink(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	mustRun(t, cmdKeygen, "-o", p("k.key"))
	plain := make([]byte, 300<<10)
	rand.Read(plain)
	if err := os.WriteFile(p("plain"), plain, 0o600); err != nil {
		t.Fatal(err)
	}

	if err := syscall.Mkfifo(p("fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	read := func() chan []byte {
		got := make(chan []byte, 1)
		go func() {
			f, err := os.Open(p("fifo"))
			if err != nil {
				got <- nil
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			got <- b
		}()
		return got
	}
	got := read()
	mustRun(t, cmdEncrypt, "-r", p("k.key.pub"), "-o", p("fifo"), p("plain"))
	assertFIFO(t, p("fifo")) // before waiting: a reader of a replaced FIFO waits forever
	env := <-got
	if err := os.WriteFile(p("env"), env, 0o600); err != nil {
		t.Fatal(err)
	}
	got = read()
	mustRun(t, cmdDecrypt, "-i", p("k.key"), "-o", p("fifo"), p("env"))
	assertFIFO(t, p("fifo"))
	if b := <-got; !bytes.Equal(b, plain) {
		t.Errorf("decrypt into a FIFO delivered %d bytes, want the %d plaintext bytes", len(b), len(plain))
	}
	if m, _ := filepath.Glob(p(".fifo.tmp-*")); len(m) != 0 {
		t.Errorf("temporary files left beside the FIFO: %v", m)
	}

	// A link: the named file is replaced, the link stays a link.
	if err := os.WriteFile(p("target"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("target", p("link")); err != nil {
		t.Fatal(err)
	}
	mustRun(t, cmdDecrypt, "-i", p("k.key"), "-o", p("link"), p("env"))
	if st, err := os.Lstat(p("link")); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("-o through a symbolic link replaced the link itself (%v)", err)
	}
	if b, _ := os.ReadFile(p("target")); !bytes.Equal(b, plain) {
		t.Errorf("the link's target holds %d bytes, want the plaintext", len(b))
	}
}

func assertFIFO(t *testing.T, path string) {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("%s is no longer a FIFO after -o (mode %v, %v): the output was renamed over it", path, st.Mode(), err)
	}
}
