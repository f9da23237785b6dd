package posix

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Writer leases. Every writable Backend (in practice, every gateway
// process) registers under <root>/writers/ a lease file named by a random
// writer ID and holds an exclusive flock(2) on it for as long as it lives;
// the kernel drops the lock when the process dies, however it dies. Every
// temp entry the backend creates carries its writer ID
// (tmp/<what>-<writer>-<random>), so Sweep can tell, without guessing
// from ages, which leftovers belong to no live process: those whose
// writer's lease file is missing or can be locked.

const writerIDLen = 16

func (b *Backend) writersDir() string { return filepath.Join(b.root, "writers") }

// takeLease creates and locks a lease file under a fresh writer ID. A
// sweeper that locked the new file before us (it looked dead) may have
// removed it: then the lock we got is on a file no longer at its path,
// and we start over with another ID.
func (b *Backend) takeLease() error {
	if err := os.MkdirAll(b.writersDir(), 0o700); err != nil {
		return fmt.Errorf("posix: writer lease: %w", err)
	}
	for attempt := 0; attempt < 10; attempt++ {
		var r [writerIDLen / 2]byte
		rand.Read(r[:])
		id := hex.EncodeToString(r[:])
		p := filepath.Join(b.writersDir(), id)
		f, err := flock(p, syscall.LOCK_EX)
		if err != nil {
			return fmt.Errorf("posix: writer lease: %w", err)
		}
		if stillAt(f, p) {
			b.writer, b.lease = id, f
			return nil
		}
		f.Close()
	}
	return errors.New("posix: writer lease: lease files keep vanishing")
}

// Close releases the writer lease: temp entries this backend left become
// sweepable by any process at once. It also closes the kept lock files
// (lockcache.go). Only for a backend that is done
// writing; a server never calls it (its death releases the lease).
func (b *Backend) Close() error {
	b.waitSnapshots()
	b.locks.close()
	if b.lease == nil {
		return nil
	}
	err := b.lease.Close()
	b.lease = nil
	return err
}

// tmpWriter returns the writer ID in a temp entry's name, or "" for names
// without one.
func tmpWriter(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < writerIDLen+1 || len(name)-i-1 != 32 {
		return ""
	}
	w := name[i-writerIDLen : i]
	if name[i-writerIDLen-1] != '-' || !isLowerHex(w) {
		return ""
	}
	return w
}

// deadWriters is what one Sweep knows about the writers of the volume:
// the dead ones, whose lease locks it holds, and the lease files it saw.
type deadWriters struct {
	self  string
	dir   string
	held  map[string]*os.File
	known map[string]bool // lease files seen, dead or alive
}

// lockDeadWriters locks every lease file that no live backend holds. While
// the locks are held no writer can come back under those IDs (a new writer
// takes a fresh random ID anyway). A writer ID with no lease file at all
// is dead too; isDead says so.
func (b *Backend) lockDeadWriters() (*deadWriters, error) {
	d := &deadWriters{self: b.writer, dir: b.writersDir(), held: map[string]*os.File{}, known: map[string]bool{}}
	names, err := readNames(d.dir)
	if err != nil && !notExist(err) {
		return nil, fmt.Errorf("writer leases: %w", err)
	}
	for _, n := range names {
		if len(n) != writerIDLen || !isLowerHex(n) {
			continue
		}
		d.known[n] = true
		if n == b.writer {
			continue
		}
		f, err := os.OpenFile(filepath.Join(d.dir, n), os.O_RDWR, 0)
		if err != nil {
			continue // removed meanwhile: its owner is dead and swept
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // held: alive
			continue
		}
		d.held[n] = f
	}
	return d, nil
}

// isDead reports whether the temp entry name belongs to a writer that is
// provably gone: its lease is locked by us, or its lease file does not
// exist (it was removed after its writer died, or never made it to disk
// before a crash). Names without a writer ID are for the age rule.
func (d *deadWriters) isDead(name string) bool {
	w := tmpWriter(name)
	if w == "" || w == d.self {
		return false
	}
	if d.held[w] != nil {
		return true
	}
	if d.known[w] {
		return false
	}
	// Not listed when we read the directory: a writer that started since
	// has a lease file now.
	_, err := os.Lstat(filepath.Join(d.dir, w))
	return notExist(err)
}

// release removes the dead writers' lease files (their leftovers are
// swept) and drops the locks.
func (d *deadWriters) release() int {
	for n, f := range d.held {
		os.Remove(filepath.Join(d.dir, n))
		f.Close()
	}
	return len(d.held)
}
