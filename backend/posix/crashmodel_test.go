package posix

// The file-system model of the crash-consistency checker (see
// docs/CRASH-CONSISTENCY.md and crashcheck_test.go): a recorder that
// implements the backend's fileSystem seam, logs every operation against
// inode numbers, and can rebuild the tree a crash at any point leaves.

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

type opKind int

const (
	opCreate   opKind = iota // new file ino at (parent, name)
	opMkdir                  // new directory ino at (parent, name)
	opLink                   // ino gains the entry (parent, name)
	opUnlink                 // the entry (parent, name) naming ino goes (file or empty directory)
	opRename                 // ino moves from (parent, name) to (dparent, dname)
	opFsync                  // ino's content is durable
	opFsyncDir               // the entries of directory ino are durable
	opBegin                  // workload marker: operation mark starts
	opAck                    // workload marker: operation mark returned success
)

type fsOp struct {
	kind           opKind
	ino            int
	parent         int
	name           string
	dparent        int
	dname          string
	mark           int
	reorderBarrier bool
}

type fsNode struct {
	dir     bool
	content []byte // files: the content the workload wrote (captured at fsync)
	known   bool   // content was captured
	base    bool   // part of the durable starting state
}

// recorder wraps the real file system and records what the backend does.
type recorder struct {
	osFS
	root string

	mu     sync.Mutex
	ops    []fsOp
	inodes []*fsNode
	live   map[string]int // relative path -> ino, as the real tree is now
	base0  map[string]int // relative path -> ino of the starting state
	// dropFileSyncs and dropDirSyncs make the recorder forget fsyncs: the
	// checker's self-test, proving it finds the violations a backend that
	// skips them would cause.
	dropFileSyncs, dropDirSyncs bool
}

// newRecorder snapshots the tree at root as the durable starting state.
// Lock and lease files hold no data and are left out.
func newRecorder(root string) (*recorder, error) {
	r := &recorder{root: root, live: map[string]int{}}
	r.inodes = append(r.inodes, &fsNode{dir: true, base: true}) // ino 0: root
	r.live["."] = 0
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel := r.rel(p)
		if rel == "writers" || strings.HasPrefix(rel, "writers/") || filepath.Base(filepath.Dir(p)) == "locks" {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		n := &fsNode{dir: fi.IsDir(), base: true, known: true}
		if !fi.IsDir() {
			if n.content, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		r.live[rel] = len(r.inodes)
		r.inodes = append(r.inodes, n)
		return nil
	})
	r.base0 = make(map[string]int, len(r.live))
	for p, i := range r.live {
		r.base0[p] = i
	}
	return r, err
}

func (r *recorder) rel(p string) string {
	rel, err := filepath.Rel(r.root, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		panic("recorder: path outside the root: " + p)
	}
	return rel
}

func (r *recorder) parentOf(rel string) (int, string) {
	return r.live[filepath.Dir(rel)], filepath.Base(rel)
}

func (r *recorder) add(op fsOp) { r.ops = append(r.ops, op) }

func (r *recorder) newIno(dir bool) int {
	r.inodes = append(r.inodes, &fsNode{dir: dir})
	return len(r.inodes) - 1
}

func (r *recorder) mark(kind opKind, mark int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(fsOp{kind: kind, mark: mark})
}

func (r *recorder) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := r.osFS.OpenFile(name, flag, perm)
	if err == nil {
		r.mu.Lock()
		rel := r.rel(name)
		p, n := r.parentOf(rel)
		ino := r.newIno(false)
		r.live[rel] = ino
		r.add(fsOp{kind: opCreate, ino: ino, parent: p, name: n})
		r.mu.Unlock()
	}
	return f, err
}

func (r *recorder) Mkdir(name string, perm os.FileMode) error {
	err := r.osFS.Mkdir(name, perm)
	if err == nil {
		r.mu.Lock()
		rel := r.rel(name)
		p, n := r.parentOf(rel)
		ino := r.newIno(true)
		r.live[rel] = ino
		r.add(fsOp{kind: opMkdir, ino: ino, parent: p, name: n})
		r.mu.Unlock()
	}
	return err
}

// capture records a file's current content as its content, once.
func (r *recorder) capture(ino int, path string) {
	n := r.inodes[ino]
	if n.dir || n.known {
		return
	}
	if b, err := os.ReadFile(path); err == nil {
		n.content, n.known = b, true
	}
}

func (r *recorder) Rename(from, to string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rf, rt := r.rel(from), r.rel(to)
	ino, ok := r.live[rf]
	if ok {
		r.capture(ino, from)
	}
	err := r.osFS.Rename(from, to)
	if err != nil || !ok {
		return err
	}
	sp, sn := r.parentOf(rf)
	dp, dn := r.parentOf(rt)
	r.add(fsOp{kind: opRename, ino: ino, parent: sp, name: sn, dparent: dp, dname: dn})
	// Move the live paths at and below from.
	for p, i := range r.live {
		if p == rf || strings.HasPrefix(p, rf+"/") {
			delete(r.live, p)
			r.live[rt+p[len(rf):]] = i
		}
	}
	return nil
}

func (r *recorder) Link(from, to string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rf, rt := r.rel(from), r.rel(to)
	ino, ok := r.live[rf]
	if ok {
		r.capture(ino, from)
	}
	err := r.osFS.Link(from, to)
	if err != nil || !ok {
		return err
	}
	p, n := r.parentOf(rt)
	r.live[rt] = ino
	r.add(fsOp{kind: opLink, ino: ino, parent: p, name: n})
	return nil
}

func (r *recorder) Remove(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.osFS.Remove(name)
	if err == nil {
		r.unlinked(r.rel(name))
	}
	return err
}

func (r *recorder) unlinked(rel string) {
	ino, ok := r.live[rel]
	if !ok {
		return
	}
	p, n := r.parentOf(rel)
	delete(r.live, rel)
	r.add(fsOp{kind: opUnlink, ino: ino, parent: p, name: n})
}

// RemoveAll records the unlinks of the tree, deepest first, as the real
// removal does them.
func (r *recorder) RemoveAll(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	root := r.rel(name)
	var below []string
	for p := range r.live {
		if p == root || strings.HasPrefix(p, root+"/") {
			below = append(below, p)
		}
	}
	sort.Slice(below, func(i, j int) bool { return len(below[i]) > len(below[j]) })
	err := r.osFS.RemoveAll(name)
	if err == nil {
		for _, p := range below {
			r.unlinked(p)
		}
	}
	return err
}

func (r *recorder) Sync(f *os.File) error {
	err := r.osFS.Sync(f)
	if err == nil {
		r.mu.Lock()
		if ino, ok := r.live[r.rel(f.Name())]; ok {
			r.capture(ino, f.Name())
			if !r.dropFileSyncs {
				r.add(fsOp{kind: opFsync, ino: ino})
			}
		}
		r.mu.Unlock()
	}
	return err
}

func (r *recorder) SyncDir(name string) error {
	err := r.osFS.SyncDir(name)
	if err == nil {
		r.mu.Lock()
		if ino, ok := r.live[r.rel(name)]; ok && !r.dropDirSyncs {
			r.add(fsOp{kind: opFsyncDir, ino: ino})
		}
		r.mu.Unlock()
	}
	return err
}

// contentMode says what a file whose content was not fsynced before the
// crash holds: all of it, nothing (the size never reached the disk), or
// its first half (a torn write).
type contentMode int

const (
	contentFull contentMode = iota
	contentEmpty
	contentTorn
)

// crashState is one state a crash after ops[:k] can leave: the metadata
// operations that reached the disk, and what unsynced files hold.
type crashState struct {
	k       int
	applied []bool // per op index < k: a metadata op that persisted
	mode    contentMode
}

type dirent struct {
	parent int
	name   string
}

// tree applies the persisted operations of s to the starting state and
// returns the entries (parent, name) -> ino.
func (r *recorder) tree(s crashState, base map[dirent]int) map[dirent]int {
	t := make(map[dirent]int, len(base)+16)
	for e, i := range base {
		t[e] = i
	}
	for i := 0; i < s.k; i++ {
		if !s.applied[i] {
			continue
		}
		op := r.ops[i]
		switch op.kind {
		case opCreate, opMkdir, opLink:
			t[dirent{op.parent, op.name}] = op.ino
		case opUnlink:
			if t[dirent{op.parent, op.name}] == op.ino {
				delete(t, dirent{op.parent, op.name})
			}
		case opRename:
			if t[dirent{op.parent, op.name}] == op.ino {
				delete(t, dirent{op.parent, op.name})
			}
			t[dirent{op.dparent, op.dname}] = op.ino
		}
	}
	return t
}

// baseTree is the starting state as entries.
func (r *recorder) baseTree() map[dirent]int {
	t := map[dirent]int{}
	for rel, ino := range r.base0 {
		if rel == "." {
			continue
		}
		t[dirent{r.base0[filepath.Dir(rel)], filepath.Base(rel)}] = ino
	}
	return t
}

// synced reports, per ino, the index of its first fsync (or -1).
func (r *recorder) syncedAt() []int {
	at := make([]int, len(r.inodes))
	for i := range at {
		at[i] = -1
	}
	for i, op := range r.ops {
		if op.kind == opFsync && at[op.ino] < 0 {
			at[op.ino] = i
		}
	}
	return at
}

// materialize computes a hash of the tree of state s, so equal states are
// checked once, and with write set writes the tree below dir.
func (r *recorder) materialize(dir string, write bool, t map[dirent]int, s crashState, syncedAt []int) (uint64, error) {
	children := map[int][]dirent{}
	for e := range t {
		children[e.parent] = append(children[e.parent], e)
	}
	h := fnv.New64a()
	first := map[int]string{} // ino -> first path written (hard links)
	var walk func(ino int, path string) error
	walk = func(ino int, path string) error {
		kids := children[ino]
		sort.Slice(kids, func(i, j int) bool { return kids[i].name < kids[j].name })
		for _, e := range kids {
			ci := t[e]
			p := filepath.Join(path, e.name)
			n := r.inodes[ci]
			fmt.Fprintf(h, "%s\x00%d\x00", p[len(dir):], ci)
			if n.dir {
				if write {
					if err := os.Mkdir(p, 0o700); err != nil {
						return err
					}
				}
				if err := walk(ci, p); err != nil {
					return err
				}
				continue
			}
			if fp, ok := first[ci]; ok {
				if write {
					if err := os.Link(fp, p); err != nil {
						return err
					}
				}
				continue
			}
			first[ci] = p
			c := n.content
			if !n.base && !(syncedAt[ci] >= 0 && syncedAt[ci] < s.k) {
				switch s.mode {
				case contentEmpty:
					c = nil
				case contentTorn:
					c = c[:len(c)/2]
				}
			}
			h.Write(c)
			h.Write([]byte{0})
			if write {
				if err := os.WriteFile(p, c, 0o600); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := walk(0, dir)
	return h.Sum64(), err
}
