package testharness

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slowUpload is a PUT whose body the test feeds by hand.
type slowUpload struct {
	w      *io.PipeWriter
	result chan error // nil for 200, else what went wrong
	rest   []byte
}

// startSlowUpload begins a PUT of size bytes to path, signed as g (any
// Gateway value with Endpoint and keys), sends half of it and returns.
func startSlowUpload(t *testing.T, g *Gateway, path string, size int) *slowUpload {
	t.Helper()
	body := Data(77, size)
	pr, pw := io.Pipe()
	req := signed(t, g, "PUT", path, nil, nil, "UNSIGNED-PAYLOAD", nil)
	req.Body, req.ContentLength = pr, int64(size)
	u := &slowUpload{w: pw, result: make(chan error, 1), rest: body[size/2:]}
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			u.result <- err
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			u.result <- errors.New(resp.Status + ": " + string(b))
			return
		}
		u.result <- nil
	}()
	if _, err := pw.Write(body[:size/2]); err != nil {
		t.Fatalf("first half of the upload: %v", err)
	}
	return u
}

// finish sends the rest and returns the upload's outcome.
func (u *slowUpload) finish(t *testing.T) error {
	t.Helper()
	if _, err := u.w.Write(u.rest); err != nil {
		return err
	}
	u.w.Close()
	select {
	case err := <-u.result:
		return err
	case <-time.After(time.Minute):
		return errors.New("no answer within a minute")
	}
}

// waitReady polls url+"/health/ready" until it answers want and returns
// the body.
func waitReady(t *testing.T, url string, want int) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url + "/health/ready")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("/health/ready: %d %q, want %d", resp.StatusCode, b, want)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("/health/ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOpsReadyReadOnlyVolume: readiness follows the data volume. As root,
// chmod does not stop writes, so the test makes the volume really
// read-only the way an operator's would become: a read-only bind mount
// over the data directory (needs CAP_SYS_ADMIN; CI runs as root). The
// probe sees EROFS, /health/ready answers 503 naming the volume, and once
// the mount is gone the gateway is ready again.
func TestOpsReadyReadOnlyVolume(t *testing.T) {
	t.Parallel()
	g, admin := startWithAdmin(t, Options{NoFsync: true, Args: []string{"--health-probe-interval", "100ms"}})
	if body := waitReady(t, admin, 200); body != "ready\n" {
		t.Errorf("ready body %q", body)
	}
	if body := waitReady(t, g.Endpoint, 200); body != "ready\n" { // the S3 port answers it too
		t.Errorf("ready body on the S3 port %q", body)
	}
	if out, err := exec.Command("mount", "--bind", g.DataDir, g.DataDir).CombinedOutput(); err != nil {
		Unavailable(t, "cannot bind-mount (needs root with CAP_SYS_ADMIN): %v %s", err, out)
		return
	}
	mounted := true
	umount := func() {
		if mounted {
			if out, err := exec.Command("umount", g.DataDir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v %s", g.DataDir, err, out)
			}
			mounted = false
		}
	}
	t.Cleanup(umount)
	// The remount fails with EBUSY while a probe has a file open for
	// writing through the mount: try again.
	for i := 0; ; i++ {
		out, err := exec.Command("mount", "-o", "remount,bind,ro", g.DataDir).CombinedOutput()
		if err == nil {
			break
		}
		if i == 50 {
			t.Fatalf("remount read-only: %v %s", err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(g.DataDir, "x"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("the bind mount is not read-only: %v", err)
	}
	body := waitReady(t, admin, 503)
	if !strings.Contains(body, "data volume") || !strings.Contains(body, "read-only") {
		t.Errorf("unready body %q does not name the read-only volume", body)
	}
	// Liveness is not readiness: the process still answers.
	if resp, err := http.Get(admin + "/health/live"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/health/live while the volume is read-only: %v %v", resp, err)
	}
	umount()
	waitReady(t, admin, 200)
	if !g.AwaitLog("data volume not writable") || !g.AwaitLog("data volume writable again") {
		t.Errorf("the log does not record the volume going read-only and back:\n%s", tail(g.Log(), 4000))
	}
}

// TestOpsReadyWhileDraining: on SIGTERM the gateway answers not-ready on
// the admin port at once, while an upload in flight still completes.
func TestOpsReadyWhileDraining(t *testing.T) {
	t.Parallel()
	g, admin := startWithAdmin(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	waitReady(t, admin, 200)
	up := startSlowUpload(t, g, "/"+b+"/draining", 4*mib)
	// The first half may still sit in socket buffers: SIGTERM only once
	// the gateway serves the upload, which is what the test is about.
	waitUploadInFlight(t, admin)
	if err := syscall.Kill(g.PID(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if body := waitReady(t, admin, 503); !strings.Contains(body, "draining") {
		t.Errorf("unready body %q", body)
	}
	if err := up.finish(t); err != nil {
		t.Fatalf("the upload in flight during the drain: %v", err)
	}
	g.Stop()
	g.Restart()
	if got := get(t, S3Client(t, g, S3Options{}), b, "draining"); len(got) != 4*mib {
		t.Errorf("the drained upload stored %d bytes", len(got))
	}
}

// TestOpsReloadCredentials: SIGHUP with a new credentials file lets the
// new key in and the removed one out, while an upload signed with the
// removed key, in flight, completes; a broken file keeps the running
// credentials and logs why; envelopegw_reloads_total counts both.
func TestOpsReloadCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	credFile := filepath.Join(dir, "credentials")
	oldKey := &Gateway{AccessKey: "OLDBACKUPKEY", SecretKey: "old-secret-0123456789"}
	newKey := &Gateway{AccessKey: "NEWBACKUPKEY", SecretKey: "new-secret-0123456789"}
	WriteFileAtomic(t, credFile, []byte(oldKey.AccessKey+" "+oldKey.SecretKey+"\n"), 0o600)
	g, admin := startWithAdmin(t, Options{NoFsync: true, Args: []string{"--credentials", credFile}})
	oldKey.Endpoint, newKey.Endpoint = g.Endpoint, g.Endpoint
	b := newBucket(t, S3Client(t, g, S3Options{}))
	status := func(k *Gateway) int {
		resp, _ := rawDo(t, g, signed(t, k, "GET", "/"+b, nil, nil, "", nil))
		return resp.StatusCode
	}
	if s := status(oldKey); s != 200 {
		t.Fatalf("old key before the reload: %d", s)
	}
	if s := status(newKey); s != 403 {
		t.Fatalf("new key before the reload: %d", s)
	}
	up := startSlowUpload(t, oldKey, "/"+b+"/long", 8*mib)
	// The first half may still sit in socket buffers: reload only once the
	// gateway has authenticated the upload (it counts as in flight once
	// routed, which is after authentication), else the removed key is
	// rightly refused and the test fails on its own race.
	waitUploadInFlight(t, admin)

	WriteFileAtomic(t, credFile, []byte("# rotated\n"+newKey.AccessKey+" "+newKey.SecretKey+"\n"), 0o600)
	g.Reload("users reloaded")
	if s := status(newKey); s != 200 {
		t.Errorf("new key after the reload: %d", s)
	}
	if s := status(oldKey); s != 403 {
		t.Errorf("removed key after the reload: %d", s)
	}
	if err := up.finish(t); err != nil {
		t.Errorf("the upload signed with the removed key, in flight across the reload: %v", err)
	}
	if got := get(t, S3Client(t, g, S3Options{}), b, "long"); len(got) != 8*mib {
		t.Errorf("the long upload stored %d bytes", len(got))
	}

	WriteFileAtomic(t, credFile, []byte(newKey.AccessKey+"\n"), 0o600) // no secret
	g.Reload("reload failed")
	if !g.AwaitLog(credFile + ":1:") {
		t.Errorf("the failed reload does not name the file and line:\n%s", tail(g.Log(), 2000))
	}
	if s := status(newKey); s != 200 {
		t.Errorf("after a failed reload the running key is gone: %d", s)
	}
	if strings.Contains(g.Log(), newKey.SecretKey) || strings.Contains(g.Log(), oldKey.SecretKey) {
		t.Error("a secret key is in the log")
	}
	awaitMetric(t, admin, "envelopegw_reloads_total", map[string]string{"result": "ok"}, func(v float64) bool { return v == 1 })
	awaitMetric(t, admin, "envelopegw_reloads_total", map[string]string{"result": "error"}, func(v float64) bool { return v == 1 })
}

// TestOpsReloadTLSCertificate: SIGHUP loads a renewed certificate for new
// connections; a certificate file that does not parse keeps the old one.
func TestOpsReloadTLSCertificate(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, TLS: true})
	serial := func() string {
		t.Helper()
		c, err := tls.Dial("tcp", g.Addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	dir := filepath.Dir(g.CAFile)
	writeSelfSignedCert(t, dir) // renew in place
	g.Reload("configuration reloaded")
	renewed := serial()
	if renewed == before {
		t.Fatal("the renewed certificate is not served after SIGHUP")
	}
	if err := os.WriteFile(g.CAFile, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	g.Reload("reload failed")
	if s := serial(); s != renewed {
		t.Errorf("after a failed reload the gateway serves certificate %s, want %s", s, renewed)
	}
}

// waitUploadInFlight waits until the gateway's metrics show an upload
// being served.
func waitUploadInFlight(t *testing.T, admin string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(admin + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, line := range strings.Split(string(b), "\n") {
				if strings.Contains(line, "s3_uploads_in_flight") && !strings.HasPrefix(line, "#") && !strings.HasSuffix(line, " 0") {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the upload never showed as in flight in /metrics")
}
