package posix

import "sync"

// Group commit of directory fsyncs.
//
// A commit is durable once the directory it renamed into is fsynced, and
// one fsync of a directory covers every entry changed in it before the
// fsync began. Concurrent commits in one directory (a flat bucket, a
// backup's chunk directory, data/<xx>) therefore share fsyncs: a caller
// that arrives while an fsync of its directory is in flight waits for the
// next one, which starts when the current one ends and covers every caller
// that arrived meanwhile. Under load that is one fsync per directory per
// fsync latency instead of one per commit, and each fsync waits less on
// the journal.
//
// The coalescer is per process: commits of other processes sharing the
// volume pay their own fsyncs, which is merely slower.

// dirSyncer coalesces the fsyncs of each directory.
type dirSyncer struct {
	mu   sync.Mutex
	dirs map[string]*dirSync
}

// dirSync is the state of one directory: whether an fsync is in flight
// and the group waiting for the next one.
type dirSync struct {
	cond     *sync.Cond
	inflight bool
	next     *syncGroup
	users    int
}

// syncGroup is the set of callers one fsync serves.
type syncGroup struct {
	started, finished bool
	err               error
}

// do runs fn (an fsync of dir) or joins a run of it that starts after this
// call, and returns that run's error.
func (s *dirSyncer) do(dir string, fn func() error) error {
	s.mu.Lock()
	if s.dirs == nil {
		s.dirs = make(map[string]*dirSync)
	}
	d := s.dirs[dir]
	if d == nil {
		d = &dirSync{cond: sync.NewCond(&s.mu)}
		s.dirs[dir] = d
	}
	d.users++
	if d.next == nil {
		d.next = &syncGroup{}
	}
	g := d.next
	for d.inflight && !g.started {
		d.cond.Wait()
	}
	if !g.started {
		// No fsync in flight and nobody ran ours yet: lead it.
		g.started, d.inflight, d.next = true, true, nil
		s.mu.Unlock()
		err := fn()
		s.mu.Lock()
		g.err, g.finished, d.inflight = err, true, false
		d.cond.Broadcast()
	}
	for !g.finished {
		d.cond.Wait()
	}
	err := g.err
	if d.users--; d.users == 0 {
		delete(s.dirs, dir)
	}
	s.mu.Unlock()
	return err
}
