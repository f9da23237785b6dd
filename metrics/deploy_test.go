package metrics

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"envelopegw/s3api"
)

// TestDeployFilesNameRealMetrics: every envelopegw_* series the Grafana
// dashboard and the example alert rules query is one this package
// exports, so a renamed metric cannot leave them silently empty. The
// alert rules must also parse as Prometheus rule groups.
func TestDeployFilesNameRealMetrics(t *testing.T) {
	m := New(Build{Version: "v", Commit: "c", GoVersion: "go"})
	m.Begin()
	m.Routed(s3api.OpPutObject)
	m.End(s3api.RequestInfo{Operation: s3api.OpPutObject, Routed: true, Status: 403, AuthFailure: "signature_mismatch"})
	m.End(s3api.RequestInfo{Operation: s3api.OpPutObject, Routed: true, Status: 403, Denied: true})
	m.backendDuration.WithLabelValues("Open").Observe(0.001)
	m.commitDuration.WithLabelValues("object").Observe(0.001)
	m.backendErrors.WithLabelValues("Open").Inc()
	m.JanitorDone(1, nil)
	m.SweepDone(1, 1, 1, errors.New("x"))
	m.SetOpenUploads(map[string]int{"b": 1})
	m.newest.saw("b", time.Now())
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
	}

	name := regexp.MustCompile(`envelopegw_[a-z0-9_]+`)
	files, _ := filepath.Glob("../deploy/*/*")
	if len(files) < 2 {
		t.Fatalf("deploy files: %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names := name.FindAllString(string(b), -1)
		if len(names) == 0 && strings.HasSuffix(f, ".json") {
			t.Errorf("%s names no metric", f)
		}
		for _, n := range names {
			base := n
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(n, suf); ok && have[b] {
					base = b
				}
			}
			if !have[base] {
				t.Errorf("%s queries %s, which envelopegw does not export", f, n)
			}
		}
		if strings.HasSuffix(f, ".yml") {
			var rules struct {
				Groups []struct {
					Name  string
					Rules []struct {
						Alert, Expr string
						For         string
						Labels      map[string]string
					}
				}
			}
			if err := yaml.Unmarshal(b, &rules); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			n := 0
			for _, g := range rules.Groups {
				for _, r := range g.Rules {
					n++
					if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" {
						t.Errorf("%s: incomplete rule %+v", f, r)
					}
				}
			}
			if n < 3 {
				t.Errorf("%s: %d rules", f, n)
			}
		}
	}
}
