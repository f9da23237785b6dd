package inventory

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sys/unix"

	"envelopegw/envelope"
)

// State is the log as Replay found it: verified against its latest
// checkpoint, and the latest state of every object it names.
type State struct {
	Checkpoint *Checkpoint // the latest, verified
	Entries    int64       // entries in the log, pending ones included
	// Unsigned counts the committed entries past the checkpoint: a live
	// gateway signs them within Options.SignDelay.
	Unsigned int64
	// relogged are committed entries that log a record the object already
	// had: the gateway never does (every record has a fresh write ID), so
	// someone appended them to excuse a rollback.
	relogged []Entry

	objects map[string]*objectState
}

// objectState is what the log says of one object.
type objectState struct {
	last    *Entry   // the latest committed entry
	history []string // every record hash it was ever logged with
	// pending holds the record hashes of intents not yet followed by
	// their entry, and delPend a delete intent not yet followed by a
	// delete. They are kept across other entries: two writers' intents
	// and entries on one key interleave.
	pending []string
	delPend bool
}

// Replay reads the log in dir (under the shared lock), recomputes its
// tree from the entries, checks the latest checkpoint against a trusted
// signer and the recomputed root, and, when older is given, proves that
// the log extends it. It fails with ErrCheckpoint on any mismatch.
func Replay(dir string, trusted envelope.Signers, older *Checkpoint) (*State, error) {
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
		if older != nil && older.N > 0 {
			return nil, fmt.Errorf("%w: the log is empty, the given checkpoint has %d entries: the log was removed or truncated", ErrCheckpoint, older.N)
		}
		return &State{objects: map[string]*objectState{}, Checkpoint: &Checkpoint{}}, nil
	}
	cp, err := OpenCheckpoint([]byte(h.Checkpoint), trusted)
	if err != nil {
		return nil, fmt.Errorf("the log's latest checkpoint: %w", err)
	}
	m, err := readMarkIn(dir)
	if err != nil {
		return nil, err
	}
	committed := committedPoint(h, m)
	st := &State{Checkpoint: cp, objects: map[string]*objectState{}}
	hashes, err := st.read(filepath.Join(dir, entriesName), committed.Bytes)
	if err != nil {
		return nil, err
	}
	if st.Entries < committed.N {
		return nil, fmt.Errorf("%w: the log holds %d entries, its head or commit mark names %d: the log was truncated", ErrCheckpoint, st.Entries, committed.N)
	}
	if cp.N > st.Entries {
		return nil, fmt.Errorf("%w: the checkpoint covers %d entries, the log holds %d: the log was truncated", ErrCheckpoint, cp.N, st.Entries)
	}
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	root, err := tlog.TreeHash(cp.N, hr)
	if err != nil {
		return nil, err
	}
	if root != cp.Hash {
		return nil, fmt.Errorf("%w: the first %d entries do not hash to the checkpoint's root: the log was rewritten", ErrCheckpoint, cp.N)
	}
	if older != nil {
		if err := checkExtends(cp, older, hr); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// checkExtends proves that the log whose latest checkpoint is cp extends
// the older checkpoint.
func checkExtends(cp, older *Checkpoint, hr tlog.HashReader) error {
	if older.N > cp.N {
		return fmt.Errorf("%w: the given checkpoint covers %d entries, the log only %d: the log was truncated or replaced", ErrCheckpoint, older.N, cp.N)
	}
	proof, err := tlog.ProveTree(cp.N, older.N, hr)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(proof, cp.N, cp.Hash, older.N, older.Hash); err != nil {
		return fmt.Errorf("%w: the log does not extend the given checkpoint (%d entries): its history was rewritten", ErrCheckpoint, older.N)
	}
	return nil
}

// read replays the entries file, returning every stored hash of their
// tree. It stops at a torn tail an appender left (a line without its
// newline, or past committed, the head's end, one that does not parse):
// the next append cuts it (see rollForward).
func (st *State) read(name string, committed int64) ([]tlog.Hash, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var hashes []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	var off int64
	for n := int64(0); ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, fmt.Errorf("%w: entry %d is longer than 1 MiB", ErrCheckpoint, n)
		}
		if err == io.EOF && len(line) == 0 {
			return hashes, nil
		}
		if err == io.EOF {
			return hashes, nil // a torn line an appender left: not durable
		}
		if err != nil {
			return nil, fmt.Errorf("inventory: reading entry %d: %w", n, err)
		}
		lineLen := int64(len(line))
		line = bytes.TrimSuffix(line, []byte("\n"))
		e, err := parseEntry(line)
		if err != nil && off >= committed {
			return hashes, nil // a torn batch: not durable
		}
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d does not parse: %v", ErrCheckpoint, n, err)
		}
		off += lineLen
		hs, err := tlog.StoredHashes(n, line, hr)
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, hs...)
		st.apply(e, n >= st.Checkpoint.N)
		st.Entries++
	}
}

func (st *State) apply(e Entry, unsigned bool) {
	if unsigned && !e.Pending {
		st.Unsigned++
	}
	id := e.objectID()
	o := st.objects[id]
	if o == nil {
		o = &objectState{}
		st.objects[id] = o
	}
	switch {
	case e.Pending && e.Kind == KindDelete:
		o.delPend = true
	case e.Pending:
		o.pending = append(o.pending, e.RecordHash)
	case e.Kind == KindDelete:
		o.last = &e
		o.delPend = false
	default:
		o.last = &e
		o.pending = slices.DeleteFunc(o.pending, func(h string) bool { return h == e.RecordHash })
		if slices.Contains(o.history, e.RecordHash) {
			st.relogged = append(st.relogged, e)
		} else {
			o.history = append(o.history, e.RecordHash)
		}
	}
}
