package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func httpGet(t *testing.T, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitStatus polls url until it answers want, or fails after 10 seconds.
func waitStatus(t *testing.T, url string, want int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := httpGet(t, url, nil)
		if code == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d %q, want %d", url, code, body, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOpsEndpointsOnS3Port: the health checks answer unsigned requests on
// the S3 port; a signed request for bucket "health" still reaches S3;
// /metrics there needs the bearer token from --metrics-token and parses
// as Prometheus text.
func TestOpsEndpointsOnS3Port(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ENVELOPEGW_ACCESS_KEY": "OPSKEY", "ENVELOPEGW_SECRET_KEY": "opssecret123"}
	r := startServe(t, env, "--data", filepath.Join(dir, "data"), "--no-fsync", "--metrics-token", token, "--health-probe-interval", "50ms")

	if code, body := httpGet(t, r.endpoint+"/health/live", nil); code != 200 || body != "live\n" {
		t.Errorf("/health/live: %d %q", code, body)
	}
	waitStatus(t, r.endpoint+"/health/ready", 200)

	// A signed request to bucket "health" is S3's.
	if code, body := do(t, r.endpoint, "OPSKEY", "opssecret123", "GET", "/health/live", nil); code != 404 || !strings.Contains(string(body), "NoSuchBucket") {
		t.Errorf("signed GET /health/live: %d %s, want S3's NoSuchBucket", code, body)
	}
	if code, _ := httpGet(t, r.endpoint+"/metrics", nil); code != 403 {
		t.Errorf("/metrics without a token: %d, want S3's 403", code)
	}
	if code, _ := httpGet(t, r.endpoint+"/metrics", map[string]string{"Authorization": "Bearer wrong-token-wrong-token"}); code != 401 {
		t.Errorf("/metrics with a wrong token: %d, want 401", code)
	}
	code, body := httpGet(t, r.endpoint+"/metrics", map[string]string{"Authorization": "Bearer 0123456789abcdef0123"})
	if code != 200 {
		t.Fatalf("/metrics with the token: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	for _, name := range []string{"envelopegw_build_info", "envelopegw_s3_requests_total", "envelopegw_auth_failures_total"} {
		if fams[name] == nil {
			t.Errorf("no %s in /metrics", name)
		}
	}
}

// TestMetricsTokenFile: the token file is a secret (0600) and must hold a
// real token.
func TestMetricsTokenFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		content string
		mode    os.FileMode
		want    string
	}{
		{"0123456789abcdef0123", 0o644, "mode"},
		{"short", 0o600, "at least 16"},
		{"0123456789abcdef 0123", 0o600, "without spaces"},
	} {
		p := filepath.Join(dir, "t")
		os.Remove(p)
		os.WriteFile(p, []byte(c.content), c.mode)
		if _, err := readToken(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("token %q mode %o: %v, want an error about %q", c.content, c.mode, err, c.want)
		}
	}
}

// TestReloadAllOrNothing: when one piece fails to load, no piece is
// applied and the error names the piece.
func TestReloadAllOrNothing(t *testing.T) {
	var logs bytes.Buffer
	var outcomes []error
	r := &reloader{log: slog.New(slog.NewTextHandler(&logs, nil)), done: func(err error) { outcomes = append(outcomes, err) }}
	applied := map[string]int{}
	fail := true
	r.add("good", func() (func(), error) { return func() { applied["good"]++ }, nil })
	r.add("flaky", func() (func(), error) {
		if fail {
			return nil, errors.New("line 3: broken")
		}
		return func() { applied["flaky"]++ }, nil
	})
	err := r.reload()
	if err == nil || !strings.Contains(err.Error(), "flaky: line 3: broken") {
		t.Fatalf("reload: %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("a failed reload applied %v", applied)
	}
	if !strings.Contains(logs.String(), "running configuration stays") {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
	fail = false
	if err := r.reload(); err != nil {
		t.Fatal(err)
	}
	if applied["good"] != 1 || applied["flaky"] != 1 {
		t.Errorf("applied %v, want each once", applied)
	}
	if len(outcomes) != 2 || outcomes[0] == nil || outcomes[1] != nil {
		t.Errorf("outcomes %v", outcomes)
	}
}

// TestVersion: `envelopegw version` prints the three facts, and -X
// values override what the build embedded.
func TestVersion(t *testing.T) {
	var b bytes.Buffer
	printVersion(&b)
	out := b.String()
	for _, want := range []string{"envelopegw ", "commit ", "go         go1."} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
	version, commit = "9.9.9", "abcdef0"
	defer func() { version, commit = "", "" }()
	b.Reset()
	printVersion(&b)
	if !strings.Contains(b.String(), "envelopegw 9.9.9\ncommit     abcdef0\n") {
		t.Errorf("with -X values:\n%s", b.String())
	}
}
