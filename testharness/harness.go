package testharness

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"envelopegw/backend/s3/s3test"
)

// Options configures a gateway started by Start. The zero value is a
// gateway holding one identity and its recipient, with fsync on.
type Options struct {
	// IngestOnly starts the gateway with the recipient but no identity:
	// it can store objects but not decrypt them.
	IngestOnly bool
	// NoFsync passes --no-fsync (for tests that are not about durability).
	NoFsync bool
	// TLS serves HTTPS with a throwaway certificate for 127.0.0.1 that the
	// harness clients trust. The aws-sdk-go-v2 sends aws-chunked bodies
	// with checksum trailers only over HTTPS.
	TLS bool
	// Share makes the new process use the data directory, keys and
	// credentials of an already started gateway: two processes, one volume.
	Share *Gateway
	// Args are appended to the serve command line (e.g. "--domain", "s3.test").
	Args []string
	// Env adds variables (NAME=value) to the gateway's environment.
	Env []string
	// DataDir, when set, is the (existing, empty) data directory to use
	// instead of a fresh one under the test's temporary directory: a
	// small file system, say.
	DataDir string
	// Upstream runs the gateway with --upstream on this S3 server (the
	// shared one from s3test.SharedMinIO, say), under a prefix of its
	// own in the server's bucket, or under Share's prefix with Share.
	Upstream *s3test.Server
}

// Gateway is a running `envelopegw serve` process.
type Gateway struct {
	Endpoint      string // "http://127.0.0.1:PORT" or "https://..."
	Addr          string // "127.0.0.1:PORT"
	DataDir       string
	AccessKey     string
	SecretKey     string
	IdentityFile  string // the private key (given to serve unless IngestOnly)
	RecipientFile string // the public key, one recipient string per line
	Recipient     string // the recipient string passed with --recipient
	CAFile        string // PEM certificate to trust when TLS is on, else ""
	SigningKey    string // the signing key file given to serve with --signing-key
	SignerFile    string // its public half, for cat and scrub --signer
	// UpstreamPrefix is the gateway's prefix in the upstream bucket when
	// Options.Upstream is set.
	UpstreamPrefix string

	t       testing.TB
	opts    Options
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildDir  string
)

// Binary returns the path of the envelopegw binary, building it on first
// use (once per test process). ENVELOPEGW_TEST_BINARY overrides the build.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv("ENVELOPEGW_TEST_BINARY"); p != "" {
			buildPath = p
			return
		}
		buildDir, buildErr = os.MkdirTemp("", "envelopegw-testbin-")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "envelopegw")
		cmd := exec.Command("go", "build", "-o", buildPath, "envelopegw/cmd/envelopegw")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/envelopegw: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("testharness: %v", buildErr)
	}
	return buildPath
}

// Main runs the tests of a package and then removes the built binary. Call
// it from TestMain: func TestMain(m *testing.M) { testharness.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// Command prepares `envelopegw args...` with a clean environment (PATH and
// a temporary HOME only); the caller sets Stdin/Stdout and runs it.
func Command(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = baseEnv(t.TempDir())
	return cmd
}

// baseEnv is the environment every process the harness starts begins with:
// nothing inherited but PATH and TMPDIR.
func baseEnv(home string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8"}
	if v := os.Getenv("TMPDIR"); v != "" {
		env = append(env, "TMPDIR="+v)
	}
	return env
}

// Start runs `envelopegw serve` and returns once its port accepts
// connections. The process is stopped (SIGTERM, then SIGKILL) when the test
// ends; its output is logged if the test failed.
func Start(t testing.TB, opts Options) *Gateway {
	t.Helper()
	g := &Gateway{t: t, opts: opts}
	work := t.TempDir()
	g.logPath = filepath.Join(work, "serve.log")
	if s := opts.Share; s != nil {
		g.DataDir = s.DataDir
		g.AccessKey, g.SecretKey = s.AccessKey, s.SecretKey
		g.IdentityFile, g.RecipientFile, g.Recipient = s.IdentityFile, s.RecipientFile, s.Recipient
		g.SigningKey, g.SignerFile = s.SigningKey, s.SignerFile
	} else {
		g.DataDir = filepath.Join(work, "data")
		if opts.DataDir != "" {
			g.DataDir = opts.DataDir
		} else if err := os.Mkdir(g.DataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		g.AccessKey = "EGWTEST" + randHex(7)
		g.SecretKey = randHex(20)
		g.IdentityFile = filepath.Join(work, "identity.txt")
		g.Recipient = Keygen(t, g.IdentityFile)
		g.RecipientFile = g.IdentityFile + ".pub"                // keygen -o writes it
		g.SigningKey = filepath.Join(t.TempDir(), "signing.key") // not beside the data directory, which tests watch
		g.SignerFile = KeygenSign(t, g.SigningKey)
		if _, err := os.Stat(g.RecipientFile); err != nil {
			g.RecipientFile = filepath.Join(work, "recipient.txt")
			if err := os.WriteFile(g.RecipientFile, []byte(g.Recipient+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if opts.TLS {
		g.CAFile = writeSelfSignedCert(t, work)
	}
	if opts.Upstream != nil {
		g.UpstreamPrefix = "gw-" + randHex(6)
		if opts.Share != nil && opts.Share.UpstreamPrefix != "" {
			g.UpstreamPrefix = opts.Share.UpstreamPrefix
		}
	}
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		g.Addr = freeAddr(t)
		if lastErr = g.start(); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("testharness: %v\n%s", lastErr, g.Log())
	}
	scheme := "http"
	if opts.TLS {
		scheme = "https"
	}
	g.Endpoint = scheme + "://" + g.Addr
	t.Cleanup(func() {
		g.Stop()
		if t.Failed() {
			t.Logf("envelopegw serve output (%s):\n%s", g.Addr, tail(g.Log(), 16<<10))
		}
	})
	return g
}

// Keygen runs `envelopegw keygen -o path` and returns the recipient string
// of the new identity.
func Keygen(t testing.TB, path string) string {
	t.Helper()
	cmd := Command(t, "keygen", "-o", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("testharness: envelopegw keygen -o %s: %v\n%s%s", path, err, stdout.Bytes(), stderr.Bytes())
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatalf("testharness: keygen -o %s wrote no recipient file: %v\n%s%s", path, err, stdout.Bytes(), stderr.Bytes())
	}
	r := strings.TrimSpace(string(pub))
	if r == "" || strings.Contains(r, "\n") {
		t.Fatalf("testharness: %s.pub does not hold exactly one recipient:\n%s", path, pub)
	}
	return r
}

// KeygenSign runs `envelopegw keygen -t sign -o path` and returns the
// signer file (path.pub).
func KeygenSign(t testing.TB, path string) string {
	t.Helper()
	out, err := Command(t, "keygen", "-t", "sign", "-o", path).CombinedOutput()
	if err != nil {
		t.Fatalf("testharness: envelopegw keygen -t sign -o %s: %v\n%s", path, err, out)
	}
	return path + ".pub"
}

func (g *Gateway) args() []string {
	a := []string{"serve", "--listen", g.Addr, "--data", g.DataDir, "--recipient", g.Recipient, "--signing-key", g.SigningKey}
	if !g.opts.IngestOnly {
		a = append(a, "--identity", g.IdentityFile)
	}
	if g.opts.NoFsync {
		a = append(a, "--no-fsync")
	}
	if g.opts.TLS {
		a = append(a, "--tls-cert", g.CAFile, "--tls-key", strings.TrimSuffix(g.CAFile, "cert.pem")+"key.pem")
	}
	a = append(a, g.upstreamArgs()...)
	return append(a, g.opts.Args...)
}

// start launches the process on g.Addr and waits for the port to answer.
func (g *Gateway) start() error {
	logf, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- envelopegw %s\n", strings.Join(redact(g.args()), " "))
	logStart, _ := logf.Seek(0, io.SeekEnd)
	cmd := exec.Command(Binary(g.t), g.args()...)
	cmd.Env = append(baseEnv(filepath.Dir(g.logPath)),
		"ENVELOPEGW_ACCESS_KEY="+g.AccessKey, "ENVELOPEGW_SECRET_KEY="+g.SecretKey)
	cmd.Env = append(cmd.Env, g.UpstreamEnv()...)
	cmd.Env = append(cmd.Env, g.opts.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start envelopegw serve: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	g.mu.Lock()
	g.cmd, g.done = cmd, done
	g.mu.Unlock()

	// Ready means: our process is alive, the port answers, and our
	// process said it is serving. The last check matters because a free
	// port can be taken by another test's server between probe and bind;
	// a dial alone could reach that one. (Older builds that never say so
	// are accepted after the port has answered for two seconds.)
	deadline := time.Now().Add(30 * time.Second)
	var answeredSince time.Time
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("envelopegw serve on %s exited during startup: %v", g.Addr, cmd.ProcessState)
		default:
		}
		if c, err := net.DialTimeout("tcp", g.Addr, time.Second); err == nil {
			c.Close()
			if answeredSince.IsZero() {
				answeredSince = time.Now()
			}
			if g.saidServing(logStart) || time.Since(answeredSince) > 2*time.Second {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	g.Kill()
	return fmt.Errorf("envelopegw serve did not listen on %s within 30s", g.Addr)
}

// saidServing reports whether the log, from offset on, has the line serve
// prints once it listens, naming our address.
func (g *Gateway) saidServing(offset int64) bool {
	b, err := os.ReadFile(g.logPath)
	if err != nil || int64(len(b)) < offset {
		return false
	}
	b = b[offset:]
	return bytes.Contains(b, []byte("serving")) && bytes.Contains(b, []byte(g.Addr))
}

// redact hides nothing secret today (credentials travel in the
// environment) but keeps the log line readable: recipients are long.
func redact(args []string) []string {
	out := append([]string(nil), args...)
	for i := range out {
		if i > 0 && out[i-1] == "--recipient" && len(out[i]) > 40 {
			out[i] = out[i][:40] + "..."
		}
	}
	return out
}

// Stop sends SIGTERM and waits up to 10 seconds, then kills the process.
// Stopping a stopped gateway does nothing.
func (g *Gateway) Stop() {
	g.mu.Lock()
	cmd, done := g.cmd, g.done
	g.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		g.t.Logf("testharness: envelopegw serve on %s did not exit within 10s of SIGTERM; killing it", g.Addr)
		cmd.Process.Kill()
		<-done
	}
	g.mu.Lock()
	g.cmd = nil
	g.mu.Unlock()
}

// Kill ends the process with SIGKILL (a crash, not a shutdown).
func (g *Gateway) Kill() {
	g.mu.Lock()
	cmd, done := g.cmd, g.done
	g.cmd = nil
	g.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Restart stops the process if it runs and starts it again on the same
// address, data directory, keys and credentials.
func (g *Gateway) Restart() {
	g.t.Helper()
	g.Stop()
	var err error
	for range 50 { // the old socket may linger for a moment
		if err = g.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	g.t.Fatalf("testharness: restart: %v\n%s", err, tail(g.Log(), 8<<10))
}

// PID is the process id of the running server, or 0.
func (g *Gateway) PID() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cmd == nil {
		return 0
	}
	return g.cmd.Process.Pid
}

// Log returns everything the process (and its restarts) printed.
func (g *Gateway) Log() string {
	b, _ := os.ReadFile(g.logPath)
	return string(b)
}

// AwaitLog reports whether the process prints s within five seconds. A
// server logs some events (a refused connection, a failed reload) just after
// the client sees their effect, so a test that checks for a line right away
// would race the log.
func (g *Gateway) AwaitLog(s string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if strings.Contains(g.Log(), s) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// HTTPClient returns a client for raw requests (presigned URLs, crafted
// bodies) that trusts the gateway's certificate when TLS is on.
func (g *Gateway) HTTPClient() *http.Client {
	return &http.Client{Transport: g.transport(), Timeout: 10 * time.Minute}
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testharness: no free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
