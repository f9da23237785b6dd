package posix

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Building listing snapshots (listsnap.go).
//
// A listing that had to read heads from a large directory of the
// directory cache with no valid snapshot asks for one; that is all it
// does on the request's path. The snapshot is built in the background,
// one directory at a time per Backend, each directory queued at most once
// (and asked for at most once per cached stamp), from the directory's
// cached entries and heads where the caches hold them and by reading the
// rest. It is published only if the directory's stamp was older than
// racyWindow before and unchanged after every head was read, so every
// head in it is the one its name held at that stamp. It is written to the
// bucket's tmp/ under this writer's ID (Sweep removes what a crash
// leaves) and renamed into listing/ under the bucket lock held shared, so
// DeleteBucket, which holds it exclusive, never races with a snapshot
// appearing in the bucket it removes. There is no fsync: a snapshot lost
// or torn by a crash fails its checks and is ignored. Only a writable
// Backend builds snapshots; every Backend reads them.

// maxSnapQueue bounds the directories waiting for a snapshot; more are
// dropped and asked for again by a later listing.
const maxSnapQueue = 64

type snapBuilder struct {
	mu      sync.Mutex
	queue   []snapJob
	pending map[string]bool
	running bool
	wg      sync.WaitGroup
}

type snapJob struct{ bucket, path string }

// wantSnapshot queues directory path of bucket for a snapshot.
func (b *Backend) wantSnapshot(bucket, path string) {
	if b.writer == "" || b.dirs == nil || b.snaps == nil || b.opts.NoListSnapshots {
		return
	}
	s := b.snaps
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[path] || len(s.queue) >= maxSnapQueue {
		return
	}
	if s.pending == nil {
		s.pending = map[string]bool{}
	}
	s.pending[path] = true
	s.queue = append(s.queue, snapJob{bucket, path})
	if !s.running {
		s.running = true
		s.wg.Add(1)
		go b.runSnapshots()
	}
}

func (b *Backend) runSnapshots() {
	s := b.snaps
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		j := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		err := b.buildSnapshot(j.bucket, j.path)
		if err != nil && !errors.Is(err, errSnapshot) && !notExist(err) {
			b.log().DebugContext(context.Background(), "listing snapshot not built", "dir", j.path, "err", err)
		}
		hook("snapshot done " + j.path)
		s.mu.Lock()
		delete(s.pending, j.path)
		s.mu.Unlock()
	}
}

// waitSnapshots waits for the snapshots queued so far to be built.
func (b *Backend) waitSnapshots() {
	if b.snaps != nil {
		b.snaps.wg.Wait()
	}
}

// buildSnapshot writes the snapshot of directory path of bucket, unless
// the directory is too young, changes while it is read, or holds a head
// that cannot be read; errSnapshot says why not.
func (b *Backend) buildSnapshot(bucket, path string) (err error) {
	rel, ok := b.relOfDir(bucket, path)
	if !ok {
		return snapErr("%s is not below objects/", path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	st := stampOf(fi)
	if time.Since(time.Unix(0, st.ctime)) <= racyWindow {
		return snapErr("%s changed within %v", path, racyWindow)
	}
	if s, _, err := b.openSnapshot(bucket, path, st); err == nil {
		b.dirs.attachSnap(path, st, s)
		return nil
	}
	ents, cd := b.snapEntries(path, st)
	if ents == nil {
		names, err := readNames(path)
		if err != nil {
			return err
		}
		ents = parseEnts(names)
	}
	tmp := b.tmpPath(bucket, "listing")
	// Outside the fileSystem seam, as lock files: a cache, never needed
	// for a crash state to be consistent.
	f, err := openFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	w, err := b.writeSnapshot(f, path, rel, st, ents, cd)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	hook("snapshot written " + path)
	if after, err := os.Stat(path); err != nil {
		return err
	} else if stampOf(after) != st {
		return snapErr("%s changed while its heads were read", path)
	}
	if err := b.publishSnapshot(bucket, tmp, b.snapPath(bucket, rel)); err != nil {
		return err
	}
	// A head replaced between the check above and the rename dropped no
	// snapshot yet this one holds its old record (listsnap_drop.go).
	if after, err := os.Stat(path); err != nil || stampOf(after) != st {
		os.Remove(b.snapPath(bucket, rel))
		return snapErr("%s changed while its snapshot was published", path)
	}
	b.dirs.attachSnap(path, st, &snapshot{file: b.snapPath(bucket, rel), nonce: w.nonce, per: snapBlockEntries, blocks: w.blocks})
	return nil
}

// snapEntries returns the cached entries of path if the cache holds them
// for stamp st, with the cache's record of the directory.
func (b *Backend) snapEntries(path string, st dirStamp) ([]dirEnt, *cachedDir) {
	b.dirs.mu.Lock()
	defer b.dirs.mu.Unlock()
	if d := b.dirs.m[path]; d != nil && d.stamp == st {
		return d.ents, d
	}
	return nil, nil
}

// writeSnapshot writes the snapshot of ents to f, taking each head from
// the head cache (cd) or else from its file.
func (b *Backend) writeSnapshot(f *os.File, path, rel string, st dirStamp, ents []dirEnt, cd *cachedDir) (*snapWriter, error) {
	bw := bufio.NewWriterSize(f, 256<<10)
	w := newSnapWriter(bw)
	for i, e := range ents {
		if e.isDir() {
			if err := w.add(nil); err != nil {
				return nil, err
			}
			continue
		}
		r := b.dirs.cachedHead(cd, i)
		if r == nil {
			var err error
			hook("snapshot read head " + path)
			if r, _, err = readHead(path + "/" + e.name()); err != nil {
				return nil, err
			}
		}
		if err := w.add(r); err != nil {
			return nil, err
		}
	}
	if err := w.finish(rel, st, ents); err != nil {
		return nil, err
	}
	return w, bw.Flush()
}

// publishSnapshot renames tmp to file under the bucket lock held shared.
func (b *Backend) publishSnapshot(bucket, tmp, file string) error {
	l, err := flock(filepath.Join(b.locksDir(bucket), "bucket"), syscall.LOCK_SH)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := os.Mkdir(filepath.Dir(file), 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("publish listing snapshot: %w", err)
	}
	return nil
}
