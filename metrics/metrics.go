package metrics

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"envelopegw/s3api"
)

const ns = "envelopegw"

// Latency buckets from a millisecond (HEAD, a metadata read) to ten
// minutes (a 5 GiB part on a slow link).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// Build describes the running binary for envelopegw_build_info.
type Build struct {
	Version, Commit, GoVersion string
}

// Metrics holds every envelopegw series. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	bytes          *prometheus.CounterVec
	inFlight       prometheus.Gauge
	uploadsRunning prometheus.Gauge
	authFailures   *prometheus.CounterVec
	authzFailures  *prometheus.CounterVec

	backendDuration *prometheus.HistogramVec
	backendErrors   *prometheus.CounterVec
	commitDuration  *prometheus.HistogramVec
	backendBytes    *prometheus.CounterVec
	openUploads     *prometheus.GaugeVec

	cryptoBytes  *prometheus.CounterVec
	cryptoErrors *prometheus.CounterVec

	janitorRuns    *prometheus.CounterVec
	janitorAborted prometheus.Counter
	lifecycle      *prometheus.CounterVec
	sweepRuns      *prometheus.CounterVec
	sweepRemoved   *prometheus.CounterVec
	sweepBytes     prometheus.Counter
	limitsHit      *prometheus.CounterVec
	reloads        *prometheus.CounterVec

	newest *newestCollector

	hot resolved // the hot paths' series, looked up once (resolved.go)
}

// New returns a Metrics with every series registered, including the Go
// runtime and process collectors and envelopegw_build_info.
func New(b Build) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), newest: newNewestCollector()}
	f := factory{m.reg}
	m.requests = f.counterVec("s3_requests_total", "S3 requests by operation and HTTP status.", "operation", "status")
	m.duration = f.histogramVec("s3_request_duration_seconds", "Time from request arrival to the end of the response, by operation.", latencyBuckets, "operation")
	m.bytes = f.counterVec("s3_bytes_total", "Request (in) and response (out) body bytes, by operation.", "operation", "direction")
	m.inFlight = f.gauge("s3_requests_in_flight", "Requests being served.")
	m.uploadsRunning = f.gauge("s3_uploads_in_flight", "PutObject, UploadPart, UploadPartCopy and CopyObject requests being served.")
	m.authFailures = f.counterVec("auth_failures_total", "Requests refused by authentication, by reason.", "reason")
	m.authzFailures = f.counterVec("authz_failures_total", "Authenticated requests the user's policies refused (in whole or for one key of a DeleteObjects), by operation.", "operation")

	m.backendDuration = f.histogramVec("backend_operation_duration_seconds", "Latency of storage backend calls, by call.", latencyBuckets, "operation")
	m.backendErrors = f.counterVec("backend_errors_total", "Storage backend calls that failed for a reason other than a missing bucket, key or upload.", "operation")
	m.commitDuration = f.histogramVec("backend_commit_duration_seconds", "Latency of making an object or part durable and visible (fsync of data, metadata and directory, then rename).", latencyBuckets, "kind")
	m.backendBytes = f.counterVec("backend_bytes_total", "Stored (ciphertext) bytes written and read.", "direction")
	m.openUploads = f.gaugeVec("multipart_uploads_open", "Multipart uploads started and neither completed nor aborted, per bucket (refreshed periodically).", "bucket")

	m.cryptoBytes = f.counterVec("crypto_bytes_total", "Plaintext bytes encrypted and decrypted (released after verification).", "direction")
	m.cryptoErrors = f.counterVec("crypto_errors_total", "Encryption failures and stored data that failed verification.", "direction")

	m.janitorRuns = f.counterVec("janitor_runs_total", "Passes of the janitor that aborts stale multipart uploads, by result.", "result")
	m.janitorAborted = f.counter("janitor_aborted_uploads_total", "Stale multipart uploads the janitor aborted.")
	m.lifecycle = f.counterVec("lifecycle_actions_total", "What the janitor did by buckets' lifecycle rules: objects expired (deleted, or in versioned buckets given a delete marker, noncurrent versions and lone delete markers removed), uploads aborted, due objects left because another process changed them first, due versions skipped because Object Lock protects them.", "action")
	m.sweepRuns = f.counterVec("sweep_runs_total", "Passes of the sweep of crash leftovers, by result.", "result")
	m.sweepRemoved = f.counterVec("sweep_removed_total", "Crash leftovers removed, by kind (temp, orphan).", "kind")
	m.sweepBytes = f.counter("sweep_removed_bytes_total", "Bytes freed by the sweep of crash leftovers.")
	m.limitsHit = f.counterVec("limits_hit_total", "Requests or connections refused or cut by a limit, by limit.", "limit")
	m.reloads = f.counterVec("reloads_total", "Configuration reloads (SIGHUP), by result.", "result")

	m.zero()
	m.resolve()
	m.reg.MustRegister(m.newest)
	bi := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Name: "build_info", Help: "Always 1; the labels describe the running binary.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "goversion": b.GoVersion},
	})
	bi.Set(1)
	m.reg.MustRegister(bi, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// zero creates the series of the small fixed label sets at 0, so that
// rate() and increase() see a counter from its start and alerts on them
// work before the first event: a series born at 1 has no earlier sample,
// so the first storage error or refused signature would never fire an
// alert. It also makes every family the dashboard and the alert rules
// query present in /metrics from the first scrape.
func (m *Metrics) zero() {
	for _, r := range []string{"ok", "error"} {
		m.janitorRuns.WithLabelValues(r)
		m.sweepRuns.WithLabelValues(r)
		m.reloads.WithLabelValues(r)
	}
	for _, a := range []string{"expired", "aborted", "raced", "locked"} {
		m.lifecycle.WithLabelValues(a)
	}
	for _, d := range []string{"encrypt", "decrypt"} {
		m.cryptoBytes.WithLabelValues(d)
		m.cryptoErrors.WithLabelValues(d)
	}
	for _, d := range []string{"read", "write"} {
		m.backendBytes.WithLabelValues(d)
	}
	for _, k := range []string{"temp", "orphan"} {
		m.sweepRemoved.WithLabelValues(k)
	}
	for _, l := range []string{"max-conns", "max-conns-per-ip", "header-timeout", "stall-timeout"} {
		m.limitsHit.WithLabelValues(l)
	}
	for _, op := range backendOps {
		m.backendErrors.WithLabelValues(op)
	}
	for _, k := range []string{"object", "part", "complete"} {
		m.commitDuration.WithLabelValues(k)
	}
	for _, r := range s3api.AuthFailureReasons() {
		m.authFailures.WithLabelValues(r)
	}
	for _, op := range s3api.Operations() {
		m.authzFailures.WithLabelValues(op.String())
	}
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// arrivalOps are the operations whose success puts a new object in its
// bucket: what the newest-object metric follows.
var arrivalOps = map[s3api.Operation]bool{s3api.OpPutObject: true, s3api.OpPostObject: true, s3api.OpCompleteMultipartUpload: true, s3api.OpCopyObject: true}

// uploadOps are the operations that stream a body into storage.
var uploadOps = map[s3api.Operation]bool{s3api.OpPutObject: true, s3api.OpPostObject: true, s3api.OpUploadPart: true, s3api.OpUploadPartCopy: true, s3api.OpCopyObject: true}

// Begin implements s3api.Observer.
func (m *Metrics) Begin() { m.inFlight.Inc() }

// Routed implements s3api.Observer.
func (m *Metrics) Routed(op s3api.Operation) {
	if uploadOps[op] {
		m.uploadsRunning.Inc()
	}
}

// End implements s3api.Observer.
func (m *Metrics) End(ri s3api.RequestInfo) {
	m.inFlight.Dec()
	if ri.Routed && uploadOps[ri.Operation] {
		m.uploadsRunning.Dec()
	}
	op := ri.Operation.String()
	m.requests.WithLabelValues(op, strconv.Itoa(ri.Status)).Inc()
	m.duration.WithLabelValues(op).Observe(ri.Duration.Seconds())
	m.bytes.WithLabelValues(op, "in").Add(float64(ri.BytesIn))
	m.bytes.WithLabelValues(op, "out").Add(float64(ri.BytesOut))
	if ri.Limit != "" {
		m.LimitHit(ri.Limit)
	}
	if arrivalOps[ri.Operation] && ri.Status == 200 && ri.ErrorCode == "" && !ri.Aborted && ri.Bucket != "" {
		m.newest.saw(ri.Bucket, time.Now())
	}
	switch {
	case ri.AuthFailure != "":
		m.authFailures.WithLabelValues(ri.AuthFailure).Inc()
	case ri.Denied:
		m.authzFailures.WithLabelValues(op).Inc()
	}
}

var _ s3api.Observer = (*Metrics)(nil)

// Encrypted implements gateway.CryptoObserver.
func (m *Metrics) Encrypted(n int64, err error) { m.crypto("encrypt", n, err) }

// Decrypted implements gateway.CryptoObserver.
func (m *Metrics) Decrypted(n int64, err error) { m.crypto("decrypt", n, err) }

func (m *Metrics) crypto(dir string, n int64, err error) {
	m.cryptoBytes.WithLabelValues(dir).Add(float64(n))
	if err != nil {
		m.cryptoErrors.WithLabelValues(dir).Inc()
	}
}

// JanitorDone records one janitor pass (gateway.Config.JanitorDone).
func (m *Metrics) JanitorDone(aborted int, err error) {
	m.janitorRuns.WithLabelValues(result(err)).Inc()
	m.janitorAborted.Add(float64(aborted))
}

// LifecycleDone records one lifecycle pass of the janitor
// (gateway.Config.LifecycleDone).
func (m *Metrics) LifecycleDone(expired, aborted, raced, locked int) {
	m.lifecycle.WithLabelValues("locked").Add(float64(locked))
	m.lifecycle.WithLabelValues("expired").Add(float64(expired))
	m.lifecycle.WithLabelValues("aborted").Add(float64(aborted))
	m.lifecycle.WithLabelValues("raced").Add(float64(raced))
}

// SweepDone records one pass of the crash-leftover sweep.
func (m *Metrics) SweepDone(temp, orphan int, bytes int64, err error) {
	m.sweepRuns.WithLabelValues(result(err)).Inc()
	m.sweepRemoved.WithLabelValues("temp").Add(float64(temp))
	m.sweepRemoved.WithLabelValues("orphan").Add(float64(orphan))
	m.sweepBytes.Add(float64(bytes))
}

// LimitHit counts one request or connection refused or cut by the named
// limit: the connection caps and the header timeout (through
// connlimit.Reporter.Count), and the stall timeout of request and
// response bodies (RequestInfo.Limit, seen by End).
func (m *Metrics) LimitHit(limit string) { m.limitsHit.WithLabelValues(limit).Inc() }

// Reloaded records a configuration reload.
func (m *Metrics) Reloaded(err error) { m.reloads.WithLabelValues(result(err)).Inc() }

// SetOpenUploads replaces the per-bucket counts of open multipart uploads.
func (m *Metrics) SetOpenUploads(perBucket map[string]int) {
	m.openUploads.Reset()
	for b, n := range perBucket {
		m.openUploads.WithLabelValues(b).Set(float64(n))
	}
}

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// BuildFromBinary describes the running binary from its embedded build
// information; version overrides the module version when not empty (set
// at link time by release builds).
func BuildFromBinary(version string) Build {
	b := Build{Version: version, Commit: "unknown", GoVersion: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.GoVersion = bi.GoVersion
	if b.Version == "" {
		b.Version = bi.Main.Version
	}
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified {
		b.Commit += "-dirty"
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

// timeSince is time.Since in seconds.
func timeSince(t time.Time) float64 { return time.Since(t).Seconds() }
