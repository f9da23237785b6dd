package testharness

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// startWithAdmin starts a gateway with --admin-listen on a free port and
// returns it with the admin base URL.
func startWithAdmin(t *testing.T, opts Options) (*Gateway, string) {
	t.Helper()
	admin := freeAddr(t)
	opts.Args = append(opts.Args, "--admin-listen", admin)
	g := Start(t, opts)
	return g, "http://" + admin
}

// scrape fetches and parses /metrics with the Prometheus text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse as Prometheus text: %v", err)
	}
	return fams
}

// series returns the metric of family name whose labels include want, or
// nil.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	mf := fams[name]
	if mf == nil {
		return nil
	}
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		if includes(have, want) {
			return m
		}
	}
	return nil
}

// includes reports whether have holds every key of want with want's value.
func includes[V comparable](have, want map[string]V) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// TestOpsMetricsAfterAWSCLIBackup: after a multipart backup through the
// aws CLI and one refused request, /metrics (admin port) parses and holds
// the request counters and latency histograms by operation, the commit
// latency, the bytes encrypted, the auth failure by reason, build info
// and the newest object's age for the bucket.
func TestOpsMetricsAfterAWSCLIBackup(t *testing.T) {
	t.Parallel()
	users := filepath.Join(t.TempDir(), "users.json")
	reader := NewUser("reader", "restore")
	WriteUsersFile(t, users, reader)
	g, admin := startWithAdmin(t, Options{NoFsync: true, Args: []string{"--users", users}})
	cli := AWSCLI(t, g)
	src := filepath.Join(t.TempDir(), "backup.xb")
	WriteDataFile(t, src, 14, 20*mib) // over the CLI's 8 MiB threshold: multipart
	for _, args := range [][]string{
		{"s3", "mb", "s3://backups"},
		{"s3", "cp", "--only-show-errors", src, "s3://backups/nightly/backup.xb"},
		{"s3", "ls", "s3://backups/nightly/"},
	} {
		if out, err := cli(args...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	bad := &Gateway{Endpoint: g.Endpoint, AccessKey: g.AccessKey, SecretKey: "not-the-secret-key-at-all"}
	if _, err := AWSCLI(t, bad)("s3", "ls", "s3://backups"); err == nil {
		t.Fatal("a wrong secret key listed the bucket")
	}

	_, err := UserS3Client(t, g, reader, S3Options{}).PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("backups"), Key: aws.String("x"), Body: strings.NewReader("x")})
	wantAPIError(t, err, "AccessDenied", 403)

	fams := scrape(t, admin)
	counter := func(name string, labels map[string]string) float64 {
		t.Helper()
		m := series(fams, name, labels)
		if m == nil {
			t.Errorf("no %s%v", name, labels)
			return 0
		}
		return m.GetCounter().GetValue()
	}
	histCount := func(name string, labels map[string]string) uint64 {
		t.Helper()
		m := series(fams, name, labels)
		if m == nil {
			t.Errorf("no %s%v", name, labels)
			return 0
		}
		return m.GetHistogram().GetSampleCount()
	}
	if n := counter("envelopegw_s3_requests_total", map[string]string{"operation": "CreateBucket", "status": "200"}); n != 1 {
		t.Errorf("CreateBucket 200: %v, want 1", n)
	}
	if n := counter("envelopegw_s3_requests_total", map[string]string{"operation": "UploadPart", "status": "200"}); n < 3 {
		t.Errorf("UploadPart 200: %v, want at least 3 (20 MiB in 8 MiB parts)", n)
	}
	if n := counter("envelopegw_s3_requests_total", map[string]string{"operation": "CompleteMultipartUpload", "status": "200"}); n != 1 {
		t.Errorf("CompleteMultipartUpload 200: %v, want 1", n)
	}
	if n := counter("envelopegw_s3_requests_total", map[string]string{"operation": "auth", "status": "403"}); n < 1 {
		t.Errorf("refused requests: %v", n)
	}
	if n := counter("envelopegw_auth_failures_total", map[string]string{"reason": "signature_mismatch"}); n < 1 {
		t.Errorf("signature_mismatch failures: %v", n)
	}
	if n := histCount("envelopegw_s3_request_duration_seconds", map[string]string{"operation": "UploadPart"}); n < 3 {
		t.Errorf("UploadPart latency samples: %d", n)
	}
	if n := counter("envelopegw_s3_bytes_total", map[string]string{"operation": "UploadPart", "direction": "in"}); n != 20*mib {
		t.Errorf("UploadPart bytes in: %v, want %d", n, 20*mib)
	}
	if n := counter("envelopegw_crypto_bytes_total", map[string]string{"direction": "encrypt"}); n != 20*mib {
		t.Errorf("plaintext encrypted: %v, want %d", n, 20*mib)
	}
	if n := counter("envelopegw_backend_bytes_total", map[string]string{"direction": "write"}); n <= 20*mib {
		t.Errorf("ciphertext written: %v, want more than the plaintext", n)
	}
	if n := histCount("envelopegw_backend_commit_duration_seconds", map[string]string{"kind": "part"}); n < 3 {
		t.Errorf("part commit samples: %d", n)
	}
	if n := histCount("envelopegw_backend_commit_duration_seconds", map[string]string{"kind": "complete"}); n != 1 {
		t.Errorf("complete commit samples: %d", n)
	}
	if n := counter("envelopegw_authz_failures_total", map[string]string{"operation": "PutObject"}); n != 1 {
		t.Errorf("PutObject refused by policy: %v, want 1", n)
	}
	// The janitor and the sweep run once at start.
	if n := counter("envelopegw_janitor_runs_total", map[string]string{"result": "ok"}); n < 1 {
		t.Errorf("janitor passes: %v", n)
	}
	if n := counter("envelopegw_sweep_runs_total", map[string]string{"result": "ok"}); n < 1 {
		t.Errorf("sweep passes: %v", n)
	}
	if m := series(fams, "envelopegw_build_info", nil); m == nil || m.GetGauge().GetValue() != 1 {
		t.Errorf("no build info")
	}
	age := series(fams, "envelopegw_bucket_newest_object_age_seconds", map[string]string{"bucket": "backups"})
	if age == nil || age.GetGauge().GetValue() < 0 || age.GetGauge().GetValue() > 600 {
		t.Errorf("newest object age of bucket backups: %v", age)
	}
	if m := series(fams, "envelopegw_s3_requests_in_flight", nil); m == nil || m.GetGauge().GetValue() != 0 {
		t.Errorf("requests in flight after everything finished: %v", m)
	}
}

// TestOpsRequestIDInJSONLogs: every log line of a failed request (a read
// of tampered ciphertext) carries the x-amz-request-id the client got,
// whether s3api or gateway wrote it; no line carries a secret or a
// presigned signature, at debug level; and /metrics counts the decrypt
// error.
func TestOpsRequestIDInJSONLogs(t *testing.T) {
	t.Parallel()
	g, admin := startWithAdmin(t, Options{NoFsync: true, Args: []string{"--log-format", "json", "--log-level", "debug"}})
	c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	b := newBucket(t, c)
	put(t, c, b, "victim", Data(9, 3*mib))
	path, size := largestFile(t, g.DataDir)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var one [1]byte
	f.ReadAt(one[:], size/2)
	one[0] ^= 0x40
	f.WriteAt(one[:], size/2)
	f.Close()

	// A presigned GET of the tampered object: the answer starts, then the
	// connection breaks where the damage is.
	pu, err := s3.NewPresignClient(c).PresignGetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("victim")}, s3.WithPresignExpires(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.HTTPClient().Get(pu.URL)
	if err != nil {
		t.Fatal(err)
	}
	id := resp.Header.Get("x-amz-request-id")
	_, rerr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if rerr == nil {
		t.Fatal("the read of tampered ciphertext ended cleanly")
	}
	if id == "" {
		t.Fatal("no x-amz-request-id")
	}
	sig := pu.URL[strings.Index(pu.URL, "X-Amz-Signature=")+len("X-Amz-Signature="):]
	if i := strings.IndexByte(sig, '&'); i >= 0 {
		sig = sig[:i]
	}

	var lines []map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for {
		lines = lines[:0]
		sc := bufio.NewScanner(strings.NewReader(g.Log()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if strings.HasPrefix(l, "--- envelopegw") || strings.TrimSpace(l) == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				continue // the startup banner is not JSON
			}
			if m["request_id"] == id {
				lines = append(lines, m)
			}
		}
		if len(lines) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var gatewayLine, accessLine bool
	for _, m := range lines {
		msg, _ := m["msg"].(string)
		switch {
		case strings.Contains(msg, "failed verification"):
			gatewayLine = true
		case msg == "s3 request":
			accessLine = m["aborted"] == true && m["op"] == "GetObject" && m["key"] == "victim"
		}
	}
	if !gatewayLine || !accessLine {
		t.Errorf("lines with request_id %s: %v; want the gateway's verification failure and the aborted access line", id, lines)
	}
	// The failed verification counts as a decrypt error in /metrics.
	awaitMetric(t, admin, "envelopegw_crypto_errors_total", map[string]string{"direction": "decrypt"}, func(v float64) bool { return v == 1 })
	log := g.Log()
	for what, secret := range map[string]string{"secret key": g.SecretKey, "presigned signature": sig, "signature parameter": "X-Amz-Signature", "credential parameter": "X-Amz-Credential"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains the %s", what)
		}
	}
}

// TestOpsLimitsMetrics: a connection that sends no complete request
// header within --header-timeout, a body that stalls past
// --stall-timeout and connections over --max-conns-per-ip show in
// envelopegw_limits_hit_total.
func TestOpsLimitsMetrics(t *testing.T) {
	t.Parallel()
	g, admin := startWithAdmin(t, Options{NoFsync: true, Args: []string{"--stall-timeout", "1s", "--max-conns-per-ip", "2", "--header-timeout", "1s"}})
	b := newBucket(t, S3Client(t, g, S3Options{}))
	// Half a request header, then nothing: the gateway closes the
	// connection after --header-timeout.
	hc, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatal(err)
	}
	hc.Write([]byte("PUT /" + b + "/x HTTP/1.1\r\nHost: " + g.Addr + "\r\n"))
	hc.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, hc); err != nil {
		t.Fatalf("the connection without a complete header was not closed: %v", err)
	}
	hc.Close()
	up := startSlowUpload(t, g, "/"+b+"/stalled", 2*mib) // half sent, then nothing
	select {
	case err := <-up.result:
		if err == nil || !strings.Contains(err.Error(), "RequestTimeout") {
			t.Errorf("stalled upload: %v, want RequestTimeout", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stalled upload was not cut")
	}
	up.w.Close()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 4 {
		c, err := net.Dial("tcp", g.Addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		fams := scrape(t, admin)
		stall := series(fams, "envelopegw_limits_hit_total", map[string]string{"limit": "stall-timeout"})
		perIP := series(fams, "envelopegw_limits_hit_total", map[string]string{"limit": "max-conns-per-ip"})
		header := series(fams, "envelopegw_limits_hit_total", map[string]string{"limit": "header-timeout"})
		if stall.GetCounter().GetValue() == 1 && perIP.GetCounter().GetValue() >= 2 && header.GetCounter().GetValue() >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("limits hit: stall-timeout %v, max-conns-per-ip %v, header-timeout %v; want 1, at least 2, at least 1", stall, perIP, header)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
