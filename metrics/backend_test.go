package metrics

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"envelopegw/backend"
	"envelopegw/backend/backendtest"
	"envelopegw/backend/posix"
)

// TestBackendContract proves the timing wrapper changes no behaviour: the
// wrapped posix backend passes the whole backend contract suite.
func TestBackendContract(t *testing.T) {
	m := New(Build{})
	backendtest.Run(t, func(t *testing.T) backend.Backend {
		b, err := posix.New(t.TempDir(), posix.Options{NoFsync: true})
		if err != nil {
			t.Fatal(err)
		}
		return m.Backend(b)
	})
}

// TestBackendCounts checks what the wrapper records for a write, a read,
// a multipart completion and a missing key.
func TestBackendCounts(t *testing.T) {
	ctx := context.Background()
	m := New(Build{})
	pb, err := posix.New(t.TempDir(), posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	be := m.Backend(pb)
	if err := be.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	w, err := be.NewObject(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte("x"), 1000))
	if _, err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
	o, err := be.Open(ctx, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	o.ReadAt(make([]byte, 300), 0)
	o.Close()
	if _, err := be.Stat(ctx, "b", "missing"); err == nil {
		t.Fatal("stat of a missing key succeeded")
	}

	if got := testutil.ToFloat64(m.backendBytes.WithLabelValues("write")); got != 1000 {
		t.Errorf("bytes written %v, want 1000", got)
	}
	if got := testutil.ToFloat64(m.backendBytes.WithLabelValues("read")); got != 300 {
		t.Errorf("bytes read %v, want 300", got)
	}
	for kind, want := range map[string]uint64{"object": 1, "part": 0, "complete": 0} {
		if n := histogramCount(t, m, "envelopegw_backend_commit_duration_seconds", "kind", kind); n != want {
			t.Errorf("%d %s commits timed, want %d", n, kind, want)
		}
	}
	// A missing key is an answer, not a failing store.
	for _, op := range backendOps {
		if n := testutil.ToFloat64(m.backendErrors.WithLabelValues(op)); n != 0 {
			t.Errorf("%v backend errors of %s after a missing key", n, op)
		}
	}
	// A stored object is not necessarily a backup (the gateway stores its
	// configuration and delete markers as objects): only the bucket's
	// creation shows here; End counts arrivals.
	m.newest.mu.Lock()
	ts := m.newest.newest["b"]
	m.newest.mu.Unlock()
	if ts.IsZero() || !ts.Before(before) {
		t.Errorf("newest object of b at %v; want the bucket's creation, before the write at %v", ts, before)
	}
	ops := labelValues(t, m, "envelopegw_backend_operation_duration_seconds", "operation")
	for _, op := range []string{"CreateBucket", "NewObject", "Open", "Stat"} {
		if !ops[op] {
			t.Errorf("no latency series for %s (have %v)", op, ops)
		}
	}

}

// labelValues gathers m and returns the values of label in the family name.
func labelValues(t *testing.T, m *Metrics, name, label string) map[string]bool {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == label {
					out[lp.GetValue()] = true
				}
			}
		}
	}
	return out
}

// TestBackendOpsListed: every operation label the wrapper records is in
// backendOps, whose series start at zero.
func TestBackendOpsListed(t *testing.T) {
	src, err := os.ReadFile("backend.go")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, op := range backendOps {
		listed[op] = true
	}
	uses := regexp.MustCompile(`(?:done\(|WithLabelValues\()"([A-Za-z]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(uses) < 18 {
		t.Fatalf("found only %d operation labels in backend.go", len(uses))
	}
	for _, u := range uses {
		if !listed[u[1]] && u[1] != "object" && u[1] != "part" && u[1] != "complete" && u[1] != "read" && u[1] != "write" {
			t.Errorf("backend.go records operation %q, which backendOps lacks", u[1])
		}
	}
}

// histogramCount returns the sample count of the series of histogram name
// whose label is value.
func histogramCount(t *testing.T, m *Metrics, name, label, value string) uint64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return mt.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, label, value)
	return 0
}
