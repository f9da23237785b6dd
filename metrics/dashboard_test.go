package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardCoversTheMetrics: the Grafana dashboard is valid JSON that
// Grafana can import (panels with queries, every $variable defined), it
// charts every family an operator of backups needs (the list of issue 14:
// requests, latency, bytes, in flight, open uploads, fsync latency,
// crypto bytes and errors, auth and authz failures, janitor, lifecycle
// and sweep, limits, build info, newest object age), and the alert rules
// hold the "no backup in 26 hours" and error-rate alerts.
func TestDashboardCoversTheMetrics(t *testing.T) {
	raw, err := os.ReadFile("../deploy/grafana/envelopegw-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title      string
		UID        string
		Templating struct{ List []struct{ Name string } }
		Panels     []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("title %q, uid %q, %d panels", d.Title, d.UID, len(d.Panels))
	}
	vars := map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	varRef := regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	var exprs strings.Builder
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
			for _, m := range varRef.FindAllStringSubmatch(tg.Expr, -1) {
				if !vars[m[1]] {
					t.Errorf("panel %q uses $%s, which the dashboard does not define", p.Title, m[1])
				}
			}
			exprs.WriteString(tg.Expr + "\n")
		}
	}
	for _, f := range []string{
		"s3_requests_total", "s3_request_duration_seconds_bucket", "s3_bytes_total",
		"s3_requests_in_flight", "s3_uploads_in_flight", "multipart_uploads_open",
		"backend_commit_duration_seconds_bucket", "crypto_bytes_total", "crypto_errors_total",
		"auth_failures_total", "authz_failures_total", "janitor_runs_total",
		"janitor_aborted_uploads_total", "lifecycle_actions_total", "sweep_runs_total",
		"sweep_removed_total", "limits_hit_total", "reloads_total", "build_info",
		"bucket_newest_object_age_seconds",
	} {
		if !strings.Contains(exprs.String(), ns+"_"+f) {
			t.Errorf("no panel charts %s_%s", ns, f)
		}
	}

	rules, err := os.ReadFile("../deploy/prometheus/envelopegw-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"envelopegw_bucket_newest_object_age_seconds) > 26 * 3600",
		`envelopegw_s3_requests_total{status=~"5.."}`,
	} {
		if !strings.Contains(string(rules), want) {
			t.Errorf("the alert rules lack %s", want)
		}
	}
}
