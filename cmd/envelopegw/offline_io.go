package main

// Helpers shared by the offline subcommands (keygen, encrypt, decrypt,
// inspect, rewrap): flag lists, key loading, and output files that appear
// only when complete.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"envelopegw/envelope"
)

// stdio is what a subcommand talks to; tests pass buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	// errTTY says stderr is a terminal (progress bars only then).
	errTTY bool
	// outTTY says stdout is a terminal (no binary output there).
	outTTY bool
}

// newFlagSet makes a flag set whose errors and usage go to stderr and are
// returned, not exited on.
func newFlagSet(name, usage string, s stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprintf(s.err, "usage: envelopegw %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// errUsage marks a command-line mistake already explained by the flag set.
var errUsage = errors.New("invalid usage")

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// cliRecipients resolves -r values (a recipient string or a file holding
// recipients) and -R files, with the same rules as serve's --recipient.
func cliRecipients(rs, files []string) ([]envelope.Recipient, error) {
	out, err := loadRecipients(append(append([]string(nil), rs...), files...))
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no recipients: give -r or -R")
	}
	return out, nil
}

// cliIdentities reads every -i identity file, with the same rules as
// serve's --identity (files must be private to their owner).
func cliIdentities(paths []string) ([]envelope.Identity, error) {
	if len(paths) == 0 {
		return nil, errors.New("no identity: give -i IDENTITY_FILE")
	}
	return loadIdentities(paths)
}

// pendingFile is an output written under a temporary name beside its
// destination and renamed over it only by commit, so a reader of the
// destination never sees partial or unverified bytes.
//
// A destination that exists and is not a regular file (/dev/null, a FIFO,
// a terminal) is written in place, as with standard output: renaming over
// it would replace the device node itself with a file of plaintext. A
// symbolic link is followed, so the file it names is replaced, not the link.
type pendingFile struct {
	*os.File
	dest   string
	done   bool
	direct bool // written in place: nothing to rename
}

// outputTarget resolves dest for createPending and writeFileAtomic: the
// path to replace, or direct when dest is an existing non-regular file.
func outputTarget(dest string) (path string, direct bool, err error) {
	st, err := os.Stat(dest)
	if errors.Is(err, os.ErrNotExist) {
		return dest, false, nil // a new file (or a dangling link's own name)
	}
	if err != nil {
		return "", false, err
	}
	if !st.Mode().IsRegular() {
		if st.IsDir() {
			return "", false, fmt.Errorf("%s is a directory", dest)
		}
		return dest, true, nil
	}
	path, err = filepath.EvalSymlinks(dest)
	return path, false, err
}

// pendingTemps are the temporary files of this process, removed if it is
// interrupted, so an interrupted decrypt leaves nothing behind.
var (
	pendingMu    sync.Mutex
	pendingTemps = map[string]bool{}
	pendingOnce  sync.Once
)

func watchInterrupts() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-c
		pendingMu.Lock()
		for name := range pendingTemps {
			os.Remove(name)
		}
		fmt.Fprintf(os.Stderr, "envelopegw: %v: removed unfinished output\n", sig)
		os.Exit(1)
	}()
}

func createPending(dest string, perm os.FileMode) (*pendingFile, error) {
	dest, direct, err := outputTarget(dest)
	if err != nil {
		return nil, err
	}
	if direct {
		f, err := os.OpenFile(dest, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &pendingFile{File: f, dest: dest, direct: true}, nil
	}
	pendingOnce.Do(watchInterrupts)
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	pendingMu.Lock()
	pendingTemps[f.Name()] = true
	pendingMu.Unlock()
	return &pendingFile{File: f, dest: dest}, nil
}

func (p *pendingFile) forget() {
	pendingMu.Lock()
	delete(pendingTemps, p.Name())
	pendingMu.Unlock()
}

// commit makes the file durable and visible under its destination name.
func (p *pendingFile) commit() error {
	if p.direct {
		p.done = true
		return p.File.Close()
	}
	if err := p.Sync(); err != nil {
		return err
	}
	if err := p.File.Close(); err != nil {
		return err
	}
	pendingMu.Lock()
	err := os.Rename(p.Name(), p.dest)
	delete(pendingTemps, p.Name())
	pendingMu.Unlock()
	if err != nil {
		os.Remove(p.Name())
		return err
	}
	p.done = true
	return syncDir(filepath.Dir(p.dest))
}

// discard removes the temporary file unless commit succeeded.
func (p *pendingFile) discard() {
	if p.done {
		return
	}
	p.File.Close()
	if !p.direct { // never remove a device or FIFO written in place
		os.Remove(p.Name())
		p.forget()
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// openInput opens the positional input argument ("" or "-" is stdin) and
// reports its size when it is a regular file (else -1); standard input
// redirected from a regular file counts as one (stdinFile).
func openInput(fs *flag.FlagSet, s stdio) (io.Reader, *os.File, int64, error) {
	stdin := func() (io.Reader, *os.File, int64, error) {
		if f, size := stdinFile(s.in); f != nil {
			return f, f, size, nil
		}
		return s.in, nil, -1, nil
	}
	switch fs.NArg() {
	case 0:
		return stdin()
	case 1:
		if fs.Arg(0) == "-" {
			return stdin()
		}
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return nil, nil, 0, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, nil, 0, err
		}
		size := int64(-1)
		if st.Mode().IsRegular() {
			size = st.Size()
		}
		return f, f, size, nil
	}
	return nil, nil, 0, fmt.Errorf("%w: more than one input file", errUsage)
}
