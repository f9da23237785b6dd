package posix

import (
	"os"

	"golang.org/x/sys/unix"
)

// fileSystem is the seam through which the backend changes the volume:
// every creation, rename, link, removal and fsync of the store's files
// and directories (lock and lease files aside, which hold no data). The
// production implementation calls the os package directly; the
// crash-consistency test records the operations through it to enumerate
// the states a crash can leave (see docs/CRASH-CONSISTENCY.md). One
// interface call per system call costs nothing measurable.
type fileSystem interface {
	// OpenFile creates a new file (flag includes os.O_CREATE|os.O_EXCL).
	OpenFile(name string, flag int, perm os.FileMode) (*os.File, error)
	Mkdir(name string, perm os.FileMode) error
	Rename(from, to string) error
	Link(from, to string) error
	Remove(name string) error
	RemoveAll(name string) error
	// Sync makes an open file's content and size durable (fdatasync);
	// SyncDir opens a directory and fsyncs it.
	Sync(f *os.File) error
	SyncDir(name string) error
}

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return openFile(name, flag, perm)
}

// openFile is os.OpenFile for regular files and directories without the
// runtime poller: os.OpenFile adds fcntl calls and an epoll registration
// that fails for such files, several syscalls per open on a commit path
// of a dozen. The file is in blocking mode, as os gives regular files.
func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := unix.Open(name, flag|unix.O_CLOEXEC, uint32(perm.Perm()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
func (osFS) Mkdir(name string, perm os.FileMode) error { return os.Mkdir(name, perm) }
func (osFS) Rename(from, to string) error              { return os.Rename(from, to) }
func (osFS) Link(from, to string) error                { return os.Link(from, to) }
func (osFS) Remove(name string) error                  { return os.Remove(name) }
func (osFS) RemoveAll(name string) error               { return os.RemoveAll(name) }

// Sync is fdatasync(2): the store needs a file's content and size durable,
// never its timestamps or mode, so it spares the inode flush that fsync(2)
// adds. A write that extends the file changes its size, which fdatasync
// does flush.
func (osFS) Sync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	cerr := rc.Control(func(fd uintptr) {
		for {
			err = unix.Fdatasync(int(fd))
			if err != unix.EINTR {
				return
			}
		}
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
	}
	return nil
}

func (osFS) SyncDir(name string) error {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(fd)
	for {
		err = unix.Fsync(fd)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return &os.PathError{Op: "fsync", Path: name, Err: err}
	}
	return nil
}
