package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Open files and the cached head.
//
// Every gateway write appends twice (the intent and the entry), so the
// cost of one commit is paid twice per PUT. A commit used to open the
// lock, head, entries and hashes files, read and parse the head (about
// 4.6 KB of JSON, most of it the signed checkpoint), and close them all:
// some 40 system calls per batch, and in the gateway's small-object
// benchmark the log was a third of the server's CPU. A Log now keeps the
// lock, entries and hashes files open for its lifetime and remembers the
// head it last wrote, with the identity of the head file it wrote it to
// (device, inode, size and modification time).
//
// The cached head stands in for the file only while the head file is
// still that file: every writer of the head (another gateway process on
// the volume, this package in any process) replaces it by a rename, and
// a head copied or edited in place gets a new modification time, so any
// change by anyone else makes the next commit read the head from disk as
// before. Between checkpoints the cached head runs ahead of the file
// (batches write the commit mark, not the head; mark.go). Entries
// another appender wrote since (it writes no head either, or it died
// before its head write) lie past the cached head's end exactly as past
// the file's, and rollForward finds them the same way, reading the mark
// for how far they were committed. One stat(2) per commit checks the
// identity.
//
// The flock is taken on the kept lock file, so it still excludes other
// processes; within the process, commits (appends and signatures)
// serialize on Log.cmu, since a second flock on the same open file would
// not exclude anything.

// fileID identifies a version of the head file.
type fileID struct {
	dev, ino uint64
	size     int64
	mtime    unix.Timespec
}

func idOf(st *unix.Stat_t) fileID {
	return fileID{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, mtime: st.Mtim}
}

// logFiles is what a Log keeps between commits; guarded by Log.cmu.
type logFiles struct {
	lock, entries, hashes *os.File
	mark                  *os.File // the commit mark (mark.go)
	head                  *head    // the head last written or read; nil: read it
	headID                fileID
}

// open opens the files not open yet.
func (lf *logFiles) open(dir string) error {
	for _, p := range []struct {
		f    **os.File
		name string
	}{{&lf.lock, lockName}, {&lf.entries, entriesName}, {&lf.hashes, hashesName}, {&lf.mark, markName}} {
		if *p.f != nil {
			continue
		}
		f, err := openFile(filepath.Join(dir, p.name))
		if err != nil {
			return err
		}
		*p.f = f
	}
	return nil
}

// close closes the files; the next commit opens them again.
func (lf *logFiles) close() error {
	var errs []error
	for _, f := range []**os.File{&lf.lock, &lf.entries, &lf.hashes, &lf.mark} {
		if *f != nil {
			errs = append(errs, (*f).Close())
			*f = nil
		}
	}
	lf.head = nil
	return errors.Join(errs...)
}

// lockEx takes the volume's append lock on the kept lock file; the
// returned func releases it.
func (lf *logFiles) lockEx() (func(), error) {
	fd := int(lf.lock.Fd())
	for {
		err := unix.Flock(fd, unix.LOCK_EX)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return nil, fmt.Errorf("inventory: locking %s: %w", lf.lock.Name(), err)
		}
	}
	return func() { unix.Flock(fd, unix.LOCK_UN) }, nil
}

// currentHead returns the log's head: the cached one if the head file is
// still the one it was written to or read from, else the file's.
func (lf *logFiles) currentHead(dir string) (head, error) {
	var st unix.Stat_t
	err := unix.Stat(filepath.Join(dir, headName), &st)
	if lf.head != nil && err == nil && idOf(&st) == lf.headID {
		return *lf.head, nil
	}
	lf.head = nil
	h, rerr := readHead(dir)
	if rerr == nil && err == nil {
		// Under the lock nobody replaces the head between the stat and
		// the read.
		lf.head, lf.headID = &h, idOf(&st)
	}
	return h, rerr
}
