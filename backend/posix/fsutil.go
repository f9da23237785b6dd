package posix

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// newID returns 128 random bits in lower-case hex: the name of a data file,
// which is also the version ID of a part.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// validID reports whether s can be a data file id. Ids come from records
// and from callers (PartRef.ID), so they are checked before they become
// part of a path.
func validID(s string) bool { return len(s) == 32 && isLowerHex(s) }

// syncHook, when set by tests, sees every path the backend fsyncs.
var syncHook func(path string)

func (b *Backend) syncFile(f *os.File) error {
	if b.opts.NoFsync {
		return nil
	}
	if syncHook != nil {
		syncHook(f.Name())
	}
	return b.fs.Sync(f)
}

// syncDir makes the entries of dir (creations, renames, removals) durable,
// sharing the fsync with concurrent callers (groupcommit.go).
func (b *Backend) syncDir(dir string) error {
	if b.opts.NoFsync {
		return nil
	}
	if syncHook != nil {
		if _, err := os.Stat(dir); err == nil {
			syncHook(dir)
		}
	}
	return b.dsync.do(dir, func() error { return b.fs.SyncDir(dir) })
}

// syncDirUp is syncDir for a directory that a concurrent operation may
// have pruned (Delete removing empty directories) or moved away
// (CompleteUpload and AbortUpload retiring an upload directory) after this
// caller changed it. Such a directory's entries no longer matter: it is
// unreachable once its parent no longer names it. So when dir is gone,
// syncDirUp fsyncs the nearest ancestor that exists, up to base, which
// makes the removal of dir (and so of everything this caller did in it)
// durable. A missing directory is therefore never a commit failure: a
// caller that published a record must not undo it because of one.
func (b *Backend) syncDirUp(base, dir string) error {
	for {
		err := b.syncDir(dir)
		if err == nil || !notExist(err) || dir == base || !strings.HasPrefix(dir, base+string(filepath.Separator)) {
			return err
		}
		dir = filepath.Dir(dir)
	}
}

// writeFileSync writes data to a new file at path (which must not exist)
// and fsyncs it.
func (b *Backend) writeFileSync(path string, data []byte) error {
	f, err := b.fs.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		b.fs.Remove(path)
		return err
	}
	if err := b.syncFile(f); err != nil {
		f.Close()
		b.fs.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		b.fs.Remove(path)
		return err
	}
	return nil
}

// mkdirBelow creates dir and its missing parents, but never base itself or
// anything above it: when base is gone (its bucket was deleted) it fails
// with fs.ErrNotExist instead of resurrecting a half bucket. It returns the
// parents of the directories it created, which need an fsync to make the
// new entries durable.
func (b *Backend) mkdirBelow(base, dir string) (touched []string, err error) {
	rel, err := filepath.Rel(base, dir)
	if err != nil || rel == "." {
		return nil, err
	}
	if strings.HasPrefix(rel, "..") {
		return nil, errors.New("posix: internal error: " + dir + " is not below " + base)
	}
	p := base
	for _, e := range strings.Split(rel, string(filepath.Separator)) {
		parent := p
		p = filepath.Join(p, e)
		err := b.fs.Mkdir(p, 0o700)
		switch {
		case err == nil:
			touched = append(touched, parent)
		case errors.Is(err, fs.ErrExist):
		default:
			return touched, err
		}
	}
	return touched, nil
}

// renameInto renames from to to, creating to's directory below base as
// needed. A concurrent pruner (Delete removing empty directories) may remove
// the directory between the mkdir and the rename; renameInto then retries.
func (b *Backend) renameInto(base, from, to string) (touched []string, err error) {
	return b.placeInto(base, from, to, b.fs.Rename)
}

// placeInto is renameInto with op (rename or link) as the final step.
func (b *Backend) placeInto(base, from, to string, op func(from, to string) error) (touched []string, err error) {
	dir := filepath.Dir(to)
	for attempt := 0; ; attempt++ {
		err = op(from, to)
		if err == nil || !notExist(err) || attempt == 10 {
			return touched, err
		}
		if _, serr := os.Lstat(from); serr != nil {
			return touched, err // the source is what is missing
		}
		t, merr := b.mkdirBelow(base, dir)
		touched = append(touched, t...)
		if merr != nil {
			return touched, merr
		}
	}
}

// pruneDirs removes dir and its parents up to (not including) base while
// they are empty. Failures are expected (a directory gained an entry) and
// ignored.
func (b *Backend) pruneDirs(base, dir string) {
	for dir != base && strings.HasPrefix(dir, base+string(filepath.Separator)) {
		if err := b.fs.Remove(dir); err != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// flock locks path (created if needed) with how (syscall.LOCK_SH or
// LOCK_EX); closing the returned file releases the lock. Each call opens
// its own file description, so the lock also excludes goroutines of the
// same process.
func flock(path string, how int) (*os.File, error) {
	f, err := openFile(path, os.O_RDWR|os.O_CREATE, 0o600) // lock file: outside the seam
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	return f, nil
}

// stillAt reports whether the open file f is still the file at path.
func stillAt(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Stat(path)
	return err == nil && os.SameFile(fi, pi)
}

// notExist reports a missing file, including a path through a file where a
// directory was expected (ENOTDIR): both mean "no such thing here".
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
