package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sys/unix"

	"envelopegw/envelope"
)

// Dir is where a volume keeps its log, relative to the volume root.
const Dir = ".envelopegw/inventory"

const (
	lockName    = "lock"
	entriesName = "entries"
	hashesName  = "hashes"
	headName    = "head"
)

// head is the commit point of the log: what of entries and hashes counts.
type head struct {
	N          int64  `json:"n"`     // entries
	Bytes      int64  `json:"bytes"` // length of the entries file they occupy
	Checkpoint string `json:"checkpoint,omitempty"`
	// Durable is where the stored hashes were last fsynced: at the
	// checkpoint, whose signing fsyncs them. Appends in between write
	// hashes without fsync, so after a crash those past Durable are
	// recomputed from the entries (see rollForward). nil in a head
	// written when every append fsynced its hashes: then N and Bytes.
	Durable *point `json:"durable,omitempty"`
}

// point is a prefix of the log: n entries occupying bytes of the file.
type point struct {
	N     int64 `json:"n"`
	Bytes int64 `json:"bytes"`
}

// Log appends to one volume's log. It is safe for concurrent use, and
// several processes may each hold a Log on the same directory.
type Log struct {
	dir       string
	key       *envelope.SigningKey
	sync      bool
	signDelay time.Duration

	// cmu serializes commits in this process (the flock only excludes
	// other open files) and guards files.
	cmu   sync.Mutex
	files logFiles

	mu      sync.Mutex
	queue   []*waiter   // the next batch
	writing bool        // a batch is being written
	timer   *time.Timer // signs the tail; nil when none is due
	signErr error       // the last failure to sign, until a signature succeeds

	// recovered is set once this Log has checked the stored hashes past
	// the last durable point: only a machine crash loses unsynced
	// writes, and it ends every process that made them, so a Log checks
	// once, at its first append (commits are serialized by the flock).
	recovered atomic.Bool
}

type waiter struct {
	line []byte // the entry, encoded
	done chan error
}

// Options tunes a Log.
type Options struct {
	NoFsync bool // for tests and benchmarks on throwaway volumes
	// SignDelay is how long after an entry its checkpoint is signed; the
	// entries of that time share one signature. 0 means DefaultSignDelay;
	// negative signs every batch before Append returns.
	SignDelay time.Duration
}

// DefaultSignDelay bounds how long a committed entry stays past the
// latest signed checkpoint. A signature (Ed25519 and ML-DSA-65) costs
// about as much as the record signature of the write itself; signing at
// most once per delay keeps the log's cost to fsyncs.
const DefaultSignDelay = time.Second

// Open opens (creating it if need be) the log in dir; key signs its
// checkpoints.
func Open(dir string, key *envelope.SigningKey, opt Options) (*Log, error) {
	if key == nil {
		return nil, errors.New("inventory: a signing key is needed to keep the log")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	l := &Log{dir: dir, key: key, sync: !opt.NoFsync, signDelay: opt.SignDelay}
	if l.signDelay == 0 {
		l.signDelay = DefaultSignDelay
	}
	l.scheduleSign() // a tail a stopped process left unsigned
	return l, nil
}

// scheduleSign arranges for the tail to be signed within signDelay.
func (l *Log) scheduleSign() {
	if l.signDelay < 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer == nil {
		l.timer = time.AfterFunc(l.signDelay, func() { l.Sign() })
	}
}

// Sign signs a checkpoint of the whole log now, unless the latest already
// covers it. Close calls it; so does a timer after every entry.
func (l *Log) Sign() error {
	l.mu.Lock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	err := l.commit(nil, true)
	l.mu.Lock()
	l.signErr = err
	l.mu.Unlock()
	return err
}

// Close signs what is left unsigned and closes the log's files (a later
// append opens them again).
func (l *Log) Close() error {
	err := l.Sign()
	l.cmu.Lock()
	defer l.cmu.Unlock()
	return errors.Join(err, l.files.close())
}

// Append appends e and returns once it is durable. Concurrent calls are
// committed together.
func (l *Log) Append(ctx context.Context, e Entry) error {
	// Encoded here, outside the volume's lock, once: the batch's writer
	// only hashes and writes the line.
	line, err := e.marshal()
	if err != nil {
		return err
	}
	w := &waiter{line: line, done: make(chan error, 1)}
	l.mu.Lock()
	l.queue = append(l.queue, w)
	if l.writing {
		l.mu.Unlock()
		return <-w.done // the writer in progress takes this batch next
	}
	l.writing = true
	for len(l.queue) > 0 {
		batch := l.queue
		l.queue = nil
		l.mu.Unlock()
		err := l.commit(batch, l.signDelay < 0)
		for _, b := range batch {
			b.done <- err
		}
		l.mu.Lock()
	}
	l.writing = false
	l.mu.Unlock()
	err = <-w.done
	if err == nil && !e.Pending {
		l.scheduleSign()
	}
	return err
}

// commit appends one batch under the volume's lock, and signs a
// checkpoint of the result when sign is set (or the log had none).
func (l *Log) commit(batch []*waiter, sign bool) error {
	l.cmu.Lock()
	defer l.cmu.Unlock()
	lf := &l.files
	if err := lf.open(l.dir); err != nil {
		return err
	}
	unlock, err := lf.lockEx()
	if err != nil {
		return err
	}
	defer unlock()
	h, err := lf.currentHead(l.dir)
	if err != nil {
		h = head{} // a head lost in a crash: find the end from the start
	}
	ef, hf := lf.entries, lf.hashes
	if h, err = rollForward(ef, hf, lf.mark, h, !l.recovered.Load()); err != nil {
		return err
	}
	l.recovered.Store(true)
	hr := &fileHashes{f: hf, base: tlog.StoredHashCount(h.N)}
	var buf []byte
	for _, w := range batch {
		line := w.line
		hs, err := tlog.StoredHashes(h.N, line, hr)
		if err != nil {
			return fmt.Errorf("inventory: hashing entry %d: %w", h.N, err)
		}
		hr.pending = append(hr.pending, hs...)
		buf = append(append(buf, line...), '\n')
		h.N++
	}
	if sign && h.Checkpoint != "" && len(batch) == 0 {
		if cp, err := parseNoteTree(h.Checkpoint); err == nil && cp.N == h.N {
			return nil // already signed
		}
	}
	signing := sign || h.Checkpoint == ""
	if signing {
		root, err := tlog.TreeHash(h.N, hr)
		if err != nil {
			return fmt.Errorf("inventory: tree hash: %w", err)
		}
		cp, err := signCheckpoint(tlog.Tree{N: h.N, Hash: root}, l.key)
		if err != nil {
			return fmt.Errorf("inventory: signing the checkpoint: %w", err)
		}
		h.Checkpoint = string(cp)
	}
	// Only the entries are synced per append: the stored hashes are a
	// function of them, recomputed after a crash.
	if err := appendFile(ef, h.Bytes, buf, l.sync); err != nil {
		return err
	}
	if err := appendFile(hf, hr.base*tlog.HashSize, hashBytes(hr.pending), false); err != nil {
		return err
	}
	h.Bytes += int64(len(buf))
	if signing {
		// A checkpoint refers to stored hashes (a verifier proves
		// consistency from them): they, and every entry it covers
		// (rollForward may have counted a dead appender's unsynced
		// lines), are durable before the head naming it is.
		if l.sync && len(batch) == 0 {
			if err := datasync(ef); err != nil {
				return err
			}
		}
		if l.sync {
			if err := datasync(hf); err != nil {
				return err
			}
		}
		h.Durable = &point{N: h.N, Bytes: h.Bytes}
	}
	// The entries are durable; the mark says so, without fsync (see
	// mark.go). The head is replaced only when it carries a new
	// checkpoint, and then synced: between checkpoints the cached head
	// runs ahead of the file, which stays the one it was read from.
	if err := writeMark(lf.mark, point{N: h.N, Bytes: h.Bytes}); err != nil {
		return err
	}
	if signing {
		id, err := writeHead(l.dir, h, l.sync)
		if err != nil {
			return err
		}
		lf.headID = id
	}
	lf.head = &h
	return nil
}

func openFile(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	return f, nil
}

// rollForward finds the durable end of the log from the head's hint.
// An append fdatasyncs its entries, writes their stored hashes without
// fsync, then the commit mark without fsync (the head only with a new
// checkpoint). So every newline-ended, parseable line of the entries
// file counts, and the first line that is not (a torn batch of an
// appender that died) is cut with all after it, unless the head or the
// mark commits it: that is damage, an error.
// Stored hashes are trusted up to h (or, when recover is set, up to the
// last point they were fsynced, h.Durable); past it they are recomputed
// from the entries and rewritten where missing or wrong. Files shorter
// than those points were truncated by someone: an error.
func rollForward(ef, hf, mf *os.File, h head, recover bool) (head, error) {
	start := point{N: h.N, Bytes: h.Bytes}
	if recover && h.Durable != nil {
		start = *h.Durable
	}
	est, err := ef.Stat()
	if err != nil {
		return h, fmt.Errorf("inventory: %w", err)
	}
	hst, err := hf.Stat()
	if err != nil {
		return h, fmt.Errorf("inventory: %w", err)
	}
	if start.N > h.N || start.Bytes > h.Bytes || est.Size() < h.Bytes ||
		hst.Size()/tlog.HashSize < tlog.StoredHashCount(start.N) {
		return h, fmt.Errorf("inventory: the log is shorter than its head (%d entries, %d bytes): it was truncated", h.N, h.Bytes)
	}
	hashesEnd := tlog.StoredHashCount(h.N) * tlog.HashSize
	if est.Size() == start.Bytes && hst.Size() == hashesEnd && start == (point{N: h.N, Bytes: h.Bytes}) {
		// Nothing past the head, nothing to recompute: the common case,
		// where the last commit was this process's. A truncate to the
		// same size would still update the files' times.
		return h, nil
	}
	// Past the head: another appender's lines, or this process's after a
	// head it did not rewrite; the mark says how far they were committed.
	m, err := readMark(mf)
	if err != nil {
		return h, err
	}
	committed := committedPoint(h, m)
	if est.Size() < committed.Bytes {
		return h, fmt.Errorf("inventory: the log is shorter than its commit mark (%d entries, %d bytes): it was truncated", committed.N, committed.Bytes)
	}
	tail := make([]byte, est.Size()-start.Bytes)
	if _, err := ef.ReadAt(tail, start.Bytes); err != nil {
		return h, fmt.Errorf("inventory: reading the log's tail: %w", err)
	}
	end, err := hashTail(hf, start, committed.Bytes, tail)
	if err != nil {
		return h, err
	}
	if end.N < committed.N {
		return h, fmt.Errorf("inventory: the log is shorter than its head or commit mark (%d entries, %d bytes): it was truncated", committed.N, committed.Bytes)
	}
	h.N, h.Bytes = end.N, end.Bytes
	if est.Size() != h.Bytes {
		if err := ef.Truncate(h.Bytes); err != nil {
			return h, fmt.Errorf("inventory: %w", err)
		}
	}
	if hashesEnd = tlog.StoredHashCount(h.N) * tlog.HashSize; hst.Size() != hashesEnd {
		if err := hf.Truncate(hashesEnd); err != nil {
			return h, fmt.Errorf("inventory: %w", err)
		}
	}
	return h, nil
}

// hashTail counts the entries of tail (the entries file from start on),
// recomputes their stored hashes and rewrites those the hashes file lacks
// or holds wrong. A line before committed (the head's end) that does not
// parse is damage, not a torn append: an error.
func hashTail(hf *os.File, start point, committed int64, tail []byte) (point, error) {
	hr := &fileHashes{f: hf, base: tlog.StoredHashCount(start.N)}
	end := start
	for {
		i := bytes.IndexByte(tail, '\n')
		if i < 0 {
			break
		}
		if _, err := parseEntry(tail[:i]); err != nil {
			if end.Bytes < committed {
				return end, fmt.Errorf("inventory: entry %d does not parse: the log is damaged: %w", end.N, err)
			}
			break
		}
		hs, err := tlog.StoredHashes(end.N, tail[:i], hr)
		if err != nil {
			return end, fmt.Errorf("inventory: hashing entry %d: %w", end.N, err)
		}
		hr.pending = append(hr.pending, hs...)
		end.N++
		end.Bytes += int64(i + 1)
		tail = tail[i+1:]
	}
	want := hashBytes(hr.pending)
	have := make([]byte, len(want))
	n, _ := hf.ReadAt(have, hr.base*tlog.HashSize)
	if n < len(want) || !bytes.Equal(have, want) {
		if _, err := hf.WriteAt(want, hr.base*tlog.HashSize); err != nil {
			return end, fmt.Errorf("inventory: rewriting stored hashes: %w", err)
		}
	}
	return end, nil
}

// Checkpoint returns the latest signed checkpoint.
func (l *Log) Checkpoint() ([]byte, error) { return ReadCheckpoint(l.dir) }

// ReadCheckpoint returns the latest signed checkpoint of the log in dir.
func ReadCheckpoint(dir string) ([]byte, error) {
	unlock, err := lockFile(filepath.Join(dir, lockName), unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer unlock()
	h, err := readHead(dir)
	if err != nil {
		return nil, err
	}
	if h.Checkpoint == "" {
		return nil, fmt.Errorf("inventory: the log in %s is empty", dir)
	}
	return []byte(h.Checkpoint), nil
}

func readHead(dir string) (head, error) {
	var h head
	b, err := os.ReadFile(filepath.Join(dir, headName))
	if errors.Is(err, os.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("inventory: %w", err)
	}
	if err := json.Unmarshal(b, &h); err != nil || h.N < 0 || h.Bytes < 0 {
		return h, fmt.Errorf("inventory: %s: damaged head", filepath.Join(dir, headName))
	}
	return h, nil
}

// writeHead replaces the head by a rename and returns the identity of
// the file it wrote (see files.go). It uses raw system calls: a file
// opened by package os costs four fcntl(2) calls more, and this runs for
// every batch.
func writeHead(dir string, h head, doSync bool) (fileID, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return fileID{}, err
	}
	tmp := filepath.Join(dir, headName+".tmp")
	var st unix.Stat_t
	err = writeRaw(tmp, b, doSync, &st)
	if err == nil {
		err = swapInto(tmp, filepath.Join(dir, headName))
	}
	if err == nil && doSync {
		err = syncDir(dir)
	}
	if err == nil && doSync && syncHook != nil {
		if cp, perr := parseNoteTree(h.Checkpoint); perr == nil {
			syncHook(filepath.Join(dir, headName), cp.N, h.Bytes)
		}
	}
	if err != nil {
		return fileID{}, fmt.Errorf("inventory: writing head: %w", err)
	}
	return idOf(&st), nil
}

// swapInto puts the file at tmp at path atomically. It exchanges the two
// (renameat2 RENAME_EXCHANGE) where the filesystem can, so that tmp keeps
// the previous head's inode and the next writeHead truncates and reuses
// it: a rename would free an inode and the next head allocate one, for
// every batch, and allocating an inode is the most expensive step of an
// append on ext4 volumes with many recently deleted files (the kernel's
// recently_deleted scan; 9% of the gateway's CPU in the small-object
// bench). Elsewhere, or for the first head, it renames. Readers only
// ever read path; tmp holds an older head, which nothing reads.
func swapInto(tmp, path string) error {
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
	if err == nil {
		return nil
	}
	// unix.Rename: os.Rename first lstats the target, to refuse a
	// directory there, which costs a system call.
	if err = unix.Rename(tmp, path); err != nil {
		return &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err}
	}
	return nil
}

// writeRaw writes b to a new or truncated file at name, fsyncs it when
// doSync is set, and fills st from fstat(2) before closing it.
func writeRaw(name string, b []byte, doSync bool, st *unix.Stat_t) error {
	fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	for len(b) > 0 && err == nil {
		var n int
		n, err = unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			n, err = 0, nil
		}
		if err == nil {
			b = b[n:]
		}
	}
	if err == nil && doSync {
		err = unix.Fsync(fd)
	}
	if err == nil {
		err = unix.Fstat(fd, st)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: name, Err: err}
	}
	return nil
}

// appendFile writes b at off, fdatasyncing it when doSync is set: an
// append's size change is the only metadata a reader needs, and
// fdatasync covers it.
func appendFile(f *os.File, off int64, b []byte, doSync bool) error {
	_, err := f.WriteAt(b, off)
	if err == nil && doSync {
		return datasync(f)
	}
	if err != nil {
		return fmt.Errorf("inventory: appending to %s: %w", f.Name(), err)
	}
	return nil
}

func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) {
			for {
				err = unix.Fdatasync(int(fd))
				if !errors.Is(err, unix.EINTR) {
					break
				}
			}
		})
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("inventory: fdatasync %s: %w", f.Name(), err)
	}
	if syncHook != nil {
		if fi, err := f.Stat(); err == nil {
			syncHook(f.Name(), 0, fi.Size())
		}
	}
	return nil
}

// syncHook, set by tests only, sees every completed sync: a file's path
// and size, or the head's path, checkpoint tree size and entries length.
// It sees the syncs of every Log in the process: a test filters by path.
var syncHook func(what string, n, size int64)

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// lockFile takes flock(2) how on name, creating it.
func lockFile(name string, how int) (func(), error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if how == unix.LOCK_SH && errors.Is(err, os.ErrPermission) {
			f, err = os.Open(name)
		}
		if err != nil {
			return nil, fmt.Errorf("inventory: %w", err)
		}
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("inventory: locking %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}

// fileHashes reads stored hashes from the hashes file, and from the
// batch being appended past its end.
type fileHashes struct {
	f       *os.File
	base    int64 // hashes in the file
	pending []tlog.Hash
}

func (r *fileHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= r.base {
			if x-r.base >= int64(len(r.pending)) {
				return nil, fmt.Errorf("inventory: stored hash %d past the end", x)
			}
			out[i] = r.pending[x-r.base]
			continue
		}
		if _, err := r.f.ReadAt(out[i][:], x*tlog.HashSize); err != nil {
			return nil, fmt.Errorf("inventory: reading stored hash %d: %w", x, err)
		}
	}
	return out, nil
}

func hashBytes(hs []tlog.Hash) []byte {
	b := make([]byte, 0, len(hs)*tlog.HashSize)
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}
