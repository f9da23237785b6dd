package posix

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// reorderWindow bounds the subsets of unforced operations enumerated per
// crash point: every prefix of the most recent ones, and each of them
// alone dropped or alone kept. Older unforced operations persist in all
// but the prefix-0 state.
const reorderWindow = 16

func (op fsOp) meta() bool {
	switch op.kind {
	case opCreate, opMkdir, opLink, opUnlink, opRename:
		return true
	}
	return false
}

// forcedAt returns, per operation, the index of the first directory fsync
// after it that makes it durable (of its directory; for a rename, of
// either directory, as journaling file systems commit a rename as one),
// or len(ops).
func (r *recorder) forcedAt() []int {
	at := make([]int, len(r.ops))
	for i, op := range r.ops {
		at[i] = len(r.ops)
		if !op.meta() {
			continue
		}
		for j := i + 1; j < len(r.ops); j++ {
			o := r.ops[j]
			if o.kind == opFsyncDir && (o.ino == op.parent || op.kind == opRename && o.ino == op.dparent) {
				at[i] = j
				break
			}
		}
	}
	return at
}

// crashStats counts what enumerate explored.
type crashStats struct {
	points, enumerated, checked, violations int
	first                                   []string
}

// enumerate rebuilds and checks every distinct crash state of the run,
// stopping after stopAfter violations (0: never).
func (c *crashRun) enumerate(t *testing.T, scratch string, stopAfter int) crashStats {
	r := c.rec
	forced := r.forcedAt()
	synced := r.syncedAt()
	base := r.baseTree()
	seen := map[[2]uint64]bool{}
	var st crashStats
	markers := 0
	n := 0
	for k := 0; k <= len(r.ops); k++ {
		if k > 0 && (r.ops[k-1].kind == opBegin || r.ops[k-1].kind == opAck) {
			markers++
		}
		st.points++
		var forcedSet, unforced []int
		for i := 0; i < k; i++ {
			if !r.ops[i].meta() {
				continue
			}
			if forced[i] < k {
				forcedSet = append(forcedSet, i)
			} else {
				unforced = append(unforced, i)
			}
		}
		for _, applied := range subsets(k, forcedSet, unforced) {
			for _, mode := range []contentMode{contentFull, contentEmpty, contentTorn} {
				st.enumerated++
				s := crashState{k: k, applied: applied, mode: mode}
				tree := r.tree(s, base)
				h, _ := r.materialize("", false, tree, s, synced)
				if seen[[2]uint64{h, uint64(markers)}] {
					continue
				}
				seen[[2]uint64{h, uint64(markers)}] = true
				n++
				dir := fmt.Sprintf("%s/s%d", scratch, n)
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if _, err := r.materialize(dir, true, tree, s, synced); err != nil {
					t.Fatal(err)
				}
				st.checked++
				if bad := c.check(dir, k); len(bad) > 0 {
					st.violations++
					if len(st.first) < 10 {
						st.first = append(st.first, fmt.Sprintf("crash after op %d (%s), content mode %d: %s",
							k, c.lastOps(k), mode, strings.Join(bad, "; ")))
					}
				}
				os.RemoveAll(dir)
				if stopAfter > 0 && st.violations >= stopAfter {
					return st
				}
			}
		}
	}
	return st
}

// subsets returns the metadata operations that persisted, per state:
// forced ones always; of the unforced ones, every prefix of the most
// recent reorderWindow (journaling file systems commit in order), and
// each of those dropped alone or kept alone (POSIX promises no order).
func subsets(k int, forcedSet, unforced []int) [][]bool {
	mk := func(keep func(j int) bool) []bool {
		a := make([]bool, k)
		for _, i := range forcedSet {
			a[i] = true
		}
		for j, i := range unforced {
			if keep(j) {
				a[i] = true
			}
		}
		return a
	}
	n := len(unforced)
	lo := max(0, n-reorderWindow)
	out := [][]bool{mk(func(int) bool { return false })}
	for p := lo; p <= n; p++ {
		out = append(out, mk(func(j int) bool { return j < p }))
	}
	for x := lo; x < n; x++ {
		out = append(out, mk(func(j int) bool { return j != x }))
		out = append(out, mk(func(j int) bool { return j == x }))
	}
	return out
}

// lastOps names the workload operation in flight or last acknowledged at k.
func (c *crashRun) lastOps(k int) string {
	name := "setup"
	for i := range c.ops {
		if c.begin[i] < k {
			name = c.ops[i].name
			if c.ack[i] < k {
				name += " (acknowledged)"
			} else {
				name += " (in flight)"
			}
		}
	}
	return name
}

// noGrace makes Sweep take a single link as proof at once: a rebuilt
// crash state's files are all new, while after a real crash they are as
// old as the crash.
func noGrace(t *testing.T) {
	g := inFlightGrace
	inFlightGrace = 0
	t.Cleanup(func() { inFlightGrace = g })
}

func scratchDir(t *testing.T) string {
	return stressDir(t)
}

// TestCrashStates is the crash-consistency checker: every crash state of
// the workload must keep each acknowledged object byte-identical, leave an
// unacknowledged change either done or not done, list nothing unreadable,
// keep acknowledged parts of uploads in progress, and be swept clean by
// the startup Sweep.
func TestCrashStates(t *testing.T) {
	noGrace(t)
	c := recordWorkload(t, t.TempDir(), nil)
	st := c.enumerate(t, scratchDir(t), 0)
	for _, v := range st.first {
		t.Error(v)
	}
	fmt.Printf("posix crash-consistency: %d workload operations, %d file-system operations, %d crash points, %d crash states enumerated, %d distinct states checked, %d violations\n",
		len(c.ops), len(c.rec.ops)-2*len(c.ops), st.points, st.enumerated, st.checked, st.violations)
}

// TestCrashCheckerFindsMissingFsyncs proves the checker can fail: told to
// forget the backend's file fsyncs, or its directory fsyncs, it must find
// violations (an acknowledged head that a crash leaves empty; an
// acknowledged PUT that a crash loses).
func TestCrashCheckerFindsMissingFsyncs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*recorder)
	}{
		{"file fsyncs", func(r *recorder) { r.dropFileSyncs = true }},
		{"directory fsyncs", func(r *recorder) { r.dropDirSyncs = true }},
	} {
		noGrace(t)
		c := recordWorkload(t, t.TempDir(), tc.mutate)
		st := c.enumerate(t, scratchDir(t), 1)
		if st.violations == 0 {
			t.Errorf("without %s: %d states checked, no violation found", tc.name, st.checked)
			continue
		}
		t.Logf("without %s: %s", tc.name, st.first[0])
	}
}
