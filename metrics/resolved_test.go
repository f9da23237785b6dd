package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestResolvedSeries: the series looked up once are the vectors' own, so
// what the hot paths record is what /metrics shows.
func TestResolvedSeries(t *testing.T) {
	m := New(Build{})
	tb := &timedBackend{m: m}
	tb.done("Stat", time.Now(), nil)
	tb.done("NotAnOperation", time.Now(), nil) // falls back to the lookup
	m.hot.bytesWritten.Add(3)
	m.hot.bytesRead.Add(5)
	m.backendError("Commit").Inc()
	m.commitObserver("object").Observe(0.1)
	for name, want := range map[string]int{"Stat": 1, "NotAnOperation": 1, "Open": 0} {
		if got := histCount(t, m, name); got != want {
			t.Errorf("backend duration of %s: %d observations, want %d", name, got, want)
		}
	}
	if v := testutil.ToFloat64(m.backendBytes.WithLabelValues("write")); v != 3 {
		t.Errorf("bytes written %v, want 3", v)
	}
	if v := testutil.ToFloat64(m.backendBytes.WithLabelValues("read")); v != 5 {
		t.Errorf("bytes read %v, want 5", v)
	}
	if v := testutil.ToFloat64(m.backendErrors.WithLabelValues("Commit")); v != 1 {
		t.Errorf("Commit errors %v, want 1", v)
	}
}

func histCount(t *testing.T, m *Metrics, op string) int {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "envelopegw_backend_operation_duration_seconds" {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "operation" && l.GetValue() == op {
					return int(s.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return 0
}

// BenchmarkBackendDone is the per-call cost of timing a backend call,
// against the label lookup it replaced, from concurrent callers.
func BenchmarkBackendDone(b *testing.B) {
	m := New(Build{})
	b.Run("resolved", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.backendObserver("Stat").Observe(0)
			}
		})
	})
	b.Run("lookup", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.backendDuration.WithLabelValues("Stat").Observe(0)
			}
		})
	})
}
