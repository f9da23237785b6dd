package testharness

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// awaitMetric scrapes admin until the series name{labels} satisfies ok
// and returns its value (counter or gauge).
func awaitMetric(t *testing.T, admin, name string, labels map[string]string, ok func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var v float64
		m := series(scrape(t, admin), name, labels)
		if m != nil {
			v = m.GetCounter().GetValue() + m.GetGauge().GetValue()
			if ok(v) {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v: %v (present: %v)", name, labels, v, m != nil)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOpsBackgroundMetrics: the work that is not a request shows in
// /metrics of a real gateway: open multipart uploads per bucket (counted
// from the volume at start), the crash-leftover sweep (a killed upload's
// temp file), the janitor's aborted uploads, and plaintext decrypted by a
// GET.
func TestOpsBackgroundMetrics(t *testing.T) {
	t.Parallel()
	g, admin := startWithAdmin(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "full.xb", Data(3, 1*mib))
	for _, k := range []string{"inc1.xb", "inc2.xb"} {
		if _, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	// An upload cut by a crash: its temp file stays for the next start.
	startSlowUpload(t, g, "/"+b+"/cut.xb", 4*mib)
	tmp := filepath.Join(g.DataDir, "buckets", b, "tmp")
	written := func() bool { // some ciphertext reached the temp file
		ents, _ := os.ReadDir(tmp)
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && fi.Size() > 0 {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(30 * time.Second); !written(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no temp file with data appeared for the stalled upload")
		}
	}
	g.Kill()
	g.Restart()

	awaitMetric(t, admin, "envelopegw_multipart_uploads_open", map[string]string{"bucket": b}, func(v float64) bool { return v == 2 })
	awaitMetric(t, admin, "envelopegw_sweep_removed_total", map[string]string{"kind": "temp"}, func(v float64) bool { return v >= 1 })
	awaitMetric(t, admin, "envelopegw_sweep_removed_bytes_total", nil, func(v float64) bool { return v > 0 })
	awaitMetric(t, admin, "envelopegw_sweep_runs_total", map[string]string{"result": "ok"}, func(v float64) bool { return v >= 1 })
	if got := get(t, c, b, "full.xb"); len(got) != 1*mib {
		t.Fatalf("GET returned %d bytes", len(got))
	}
	awaitMetric(t, admin, "envelopegw_crypto_bytes_total", map[string]string{"direction": "decrypt"}, func(v float64) bool { return v == 1*mib })
	awaitMetric(t, admin, "envelopegw_backend_bytes_total", map[string]string{"direction": "read"}, func(v float64) bool { return v > 1*mib })

	// With --upload-max-age 1s the janitor's first pass, at start, aborts
	// both uploads.
	g.Stop()
	time.Sleep(1100 * time.Millisecond)
	g.opts.Args = append(g.opts.Args, "--upload-max-age", "1s")
	g.Restart()
	awaitMetric(t, admin, "envelopegw_janitor_aborted_uploads_total", nil, func(v float64) bool { return v == 2 })
	awaitMetric(t, admin, "envelopegw_janitor_runs_total", map[string]string{"result": "ok"}, func(v float64) bool { return v >= 1 })
}
