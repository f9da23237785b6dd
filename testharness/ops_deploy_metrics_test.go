package testharness

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOpsDeployFilesMatchMetrics: every envelopegw_* series that the
// Grafana dashboard and the Prometheus alert rules query is in the
// /metrics output of a real gateway from its first minutes: before any
// error, refusal or janitor action, so a panel is never empty and an
// alert's rate() sees the first event.
func TestOpsDeployFilesMatchMetrics(t *testing.T) {
	t.Parallel()
	g, admin := startWithAdmin(t, Options{NoFsync: true})
	newBucket(t, S3Client(t, g, S3Options{}))
	// A restart, so the counts taken at start (open uploads per bucket,
	// newest object per bucket) have a bucket to show.
	g.Stop()
	g.Restart()
	if _, err := S3Client(t, g, S3Options{}).ListBuckets(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	awaitMetric(t, admin, "envelopegw_multipart_uploads_open", nil, func(float64) bool { return true })
	awaitMetric(t, admin, "envelopegw_bucket_newest_object_age_seconds", nil, func(float64) bool { return true })
	fams := scrape(t, admin)

	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "deploy", "*", "*"))
	name := regexp.MustCompile(`envelopegw_[a-z0-9_]+`)
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range name.FindAllString(string(b), -1) {
			base := n
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if s, ok := strings.CutSuffix(n, suf); ok && fams[s] != nil {
					base = s
				}
			}
			checked++
			if mf := fams[base]; mf == nil || len(mf.GetMetric()) == 0 {
				t.Errorf("%s queries %s, which /metrics of a fresh gateway does not show", filepath.Base(f), n)
			}
		}
	}
	if checked < 30 {
		t.Fatalf("only %d series names in %v", checked, files)
	}
}
