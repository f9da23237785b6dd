package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"envelopegw/envelope"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	endpoint       string
	stdout, stderr *syncBuffer
	stop           func() error
}

// startServe runs serveMain on a free port until the test stops it.
func startServe(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	addr := make(chan net.Addr, 1)
	done := make(chan error, 1)
	args = append([]string{"--listen", "127.0.0.1:0"}, args...)
	go func() { done <- serveMain(ctx, args, envMap(env), r.stdout, r.stderr, func(a net.Addr) { addr <- a }) }()
	select {
	case a := <-addr:
		r.endpoint = "http://" + a.String()
	case err := <-done:
		cancel()
		t.Fatalf("serve exited: %v\n%s", err, r.stderr)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	var once sync.Once
	var err error
	r.stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// do sends a SigV4-signed request and returns the status and body.
func do(t *testing.T, endpoint, ak, sk, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, endpoint+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	ph := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", ph)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, req, ph, "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func bannerValue(t *testing.T, out, label string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), label); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q in the banner:\n%s", label, out)
	return ""
}

// TestServeDevSetup starts serve with nothing but a data directory: it must
// create a development identity and credentials, print them, serve with
// them, reuse them on the next start, and never log the secret.
func TestServeDevSetup(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	r := startServe(t, nil, "--data", data, "--no-fsync")
	out := r.stdout.String()
	ak, sk := bannerValue(t, out, "access key"), bannerValue(t, out, "secret key")
	if p := bannerValue(t, out, "private key"); p != devIdentityPath(data) {
		t.Errorf("banner private key %q", p)
	}
	if !strings.Contains(out, "aws --endpoint-url "+r.endpoint) {
		t.Errorf("banner has no aws CLI example:\n%s", out)
	}
	for _, f := range []string{devIdentityPath(data), devCredentialsPath(data), defaultStateKeyPath(data)} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, st.Mode(), err)
		}
	}

	if code, b := do(t, r.endpoint, ak, sk, "PUT", "/bkt", nil); code != 200 {
		t.Fatalf("CreateBucket: %d %s", code, b)
	}
	plain := []byte("serve round trip " + strings.Repeat("x", 100000))
	if code, b := do(t, r.endpoint, ak, sk, "PUT", "/bkt/obj", plain); code != 200 {
		t.Fatalf("PutObject: %d %s", code, b)
	}
	if code, b := do(t, r.endpoint, ak, sk, "GET", "/bkt/obj", nil); code != 200 || !bytes.Equal(b, plain) {
		t.Fatalf("GetObject: %d (%d bytes)", code, len(b))
	}
	if code, _ := do(t, r.endpoint, ak, "wrong-secret-key", "GET", "/bkt/obj", nil); code != 403 {
		t.Errorf("wrong secret: %d, want 403", code)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("serve after SIGTERM-equivalent: %v", err)
	}
	if strings.Contains(r.stderr.String(), sk) {
		t.Error("the secret key appears in the log")
	}

	// Second start: same credentials, same identity, the object still reads.
	r2 := startServe(t, nil, "--data", data, "--no-fsync")
	if ak2, sk2 := bannerValue(t, r2.stdout.String(), "access key"), bannerValue(t, r2.stdout.String(), "secret key"); ak2 != ak || sk2 != sk {
		t.Error("development credentials were not reused")
	}
	if code, b := do(t, r2.endpoint, ak, sk, "GET", "/bkt/obj", nil); code != 200 || !bytes.Equal(b, plain) {
		t.Fatalf("GetObject after restart: %d", code)
	}
	r2.stop()

	// Ingest-only: the dev identity's recipient and no identity. Writes and
	// HEAD work, GET is 403. The data directory and state key are shared.
	ids, err := loadIdentities([]string{devIdentityPath(data)})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ENVELOPEGW_ACCESS_KEY": "AKIAINGEST", "ENVELOPEGW_SECRET_KEY": "ingest-secret-1"}
	r3 := startServe(t, env, "--data", data, "--no-fsync", "--recipient", ids[0].Recipient().String())
	if strings.Contains(r3.stdout.String(), "secret key") {
		t.Error("a development banner was printed although credentials were given")
	}
	if !strings.Contains(r3.stderr.String(), "ingest-only") {
		t.Errorf("startup log does not say ingest-only:\n%s", r3.stderr)
	}
	if code, b := do(t, r3.endpoint, "AKIAINGEST", "ingest-secret-1", "PUT", "/bkt/new", []byte("ingested")); code != 200 {
		t.Fatalf("PutObject ingest-only: %d %s", code, b)
	}
	if code, _ := do(t, r3.endpoint, "AKIAINGEST", "ingest-secret-1", "HEAD", "/bkt/new", nil); code != 200 {
		t.Errorf("HEAD ingest-only: %d", code)
	}
	code, b := do(t, r3.endpoint, "AKIAINGEST", "ingest-secret-1", "GET", "/bkt/obj", nil)
	if code != 403 || !strings.Contains(string(b), "AccessDenied") || bytes.Contains(b, plain[:10]) {
		t.Errorf("GET ingest-only: %d %s", code, b)
	}
	if code, _ := do(t, r3.endpoint, ak, sk, "GET", "/bkt/", nil); code != 403 {
		t.Errorf("development credentials still accepted once real ones are configured: %d", code)
	}
	r3.stop()

	// What was ingested decrypts with the identity, offline.
	var stdout bytes.Buffer
	if err := catMain(context.Background(), []string{"--data", data, "--signer", defaultSigningKeyPath(data) + ".pub", "-i", devIdentityPath(data), "bkt/new"}, &stdout, io.Discard); err != nil || stdout.String() != "ingested" {
		t.Fatalf("cat: %q, %v", stdout.String(), err)
	}
}

func TestServePrintConfig(t *testing.T) {
	dir := t.TempDir()
	id, err := envelope.GenerateIdentity("x25519")
	if err != nil {
		t.Fatal(err)
	}
	idPath := filepath.Join(dir, "id")
	text, _ := id.MarshalText()
	os.WriteFile(idPath, text, 0o600)
	escrow, _ := envelope.GenerateIdentity("x25519")
	recPath := filepath.Join(dir, "recipients")
	os.WriteFile(recPath, []byte("# escrow\n"+escrow.Recipient().String()+"\n"), 0o644)
	credPath := filepath.Join(dir, "creds")
	os.WriteFile(credPath, []byte("AKIAPRINT secret-not-to-print\n"), 0o600)

	var out bytes.Buffer
	err = serveMain(context.Background(), []string{"--data", filepath.Join(dir, "data"), "--identity", idPath, "--recipient", recPath,
		"--recipient", id.Recipient().String(), "--credentials", credPath, "--print-config"}, envMap(nil), &out, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{id.KeyID(), escrow.KeyID(), "AKIAPRINT", "read-write"} {
		if !strings.Contains(s, want) {
			t.Errorf("--print-config lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "recipient ") != 2 {
		t.Errorf("want the two distinct recipients once each:\n%s", s)
	}
	if strings.Contains(s, "secret-not-to-print") || strings.Contains(s, string(text)) {
		t.Errorf("--print-config shows a secret:\n%s", s)
	}

	// Explicit recipients are used as given, with a warning when the
	// gateway could not read its own writes.
	out.Reset()
	err = serveMain(context.Background(), []string{"--data", filepath.Join(dir, "data"), "--identity", idPath, "--recipient", recPath,
		"--credentials", credPath, "--print-config"}, envMap(nil), &out, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "recipient ") != 1 || !strings.Contains(out.String(), "cannot read what it writes") {
		t.Errorf("escrow-only recipients:\n%s", out.String())
	}

	// A group-readable identity file is refused.
	os.Chmod(idPath, 0o640)
	err = serveMain(context.Background(), []string{"--data", filepath.Join(dir, "data"), "--identity", idPath, "--print-config"}, envMap(nil), io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("group-readable identity: %v", err)
	}
	// A recipient that is neither a file nor a recipient string.
	err = serveMain(context.Background(), []string{"--data", filepath.Join(dir, "data"), "--recipient", "/no/such/file", "--print-config"}, envMap(nil), io.Discard, io.Discard, nil)
	if err == nil {
		t.Error("a bogus recipient was accepted")
	}
}

// TestServeDrainsOnShutdown stops the server while an upload is in
// flight: the upload must still succeed and serve must exit cleanly.
func TestServeDrainsOnShutdown(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	r := startServe(t, nil, "--data", data, "--no-fsync")
	ak, sk := bannerValue(t, r.stdout.String(), "access key"), bannerValue(t, r.stdout.String(), "secret key")
	if code, b := do(t, r.endpoint, ak, sk, "PUT", "/bkt", nil); code != 200 {
		t.Fatalf("CreateBucket: %d %s", code, b)
	}

	// The first half must exceed what loopback socket buffers can hold
	// (a few MiB), so that the server is provably inside the request when
	// shutdown begins, not merely holding unread bytes in the kernel.
	payload := bytes.Repeat([]byte("drain "), 8<<20) // 48 MiB
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", r.endpoint+"/bkt/slow", pr)
	req.ContentLength = int64(len(payload))
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	status := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	half := len(payload) / 2
	if _, err := pw.Write(payload[:half]); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- r.stop() }()
	time.Sleep(300 * time.Millisecond) // shutdown has begun
	select {
	case err := <-stopped:
		t.Fatalf("serve stopped with an upload in flight: %v", err)
	default:
	}
	pw.Write(payload[half:])
	pw.Close()
	if code := <-status; code != 200 {
		t.Fatalf("in-flight upload got %d", code)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("serve after draining: %v", err)
	}

	r2 := startServe(t, nil, "--data", data, "--no-fsync")
	if code, b := do(t, r2.endpoint, ak, sk, "GET", "/bkt/slow", nil); code != 200 || !bytes.Equal(b, payload) {
		t.Fatalf("drained upload reads back %d (%d bytes)", code, len(b))
	}
}

// TestStateKeyOnVolumeWarning: outside the development setup, a state key
// left at its default place on the data volume is warned about; one given
// with --state-key from elsewhere is not.
func TestStateKeyOnVolumeWarning(t *testing.T) {
	dir := t.TempDir()
	id, err := envelope.GenerateIdentity("x25519")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ENVELOPEGW_ACCESS_KEY": "AKIAWARN", "ENVELOPEGW_SECRET_KEY": "secret-secret-secret"}
	const warning = "multipart state key is on the data volume"

	r := startServe(t, env, "--data", filepath.Join(dir, "a"), "--recipient", id.Recipient().String())
	r.stop()
	if !strings.Contains(r.stderr.String(), warning) {
		t.Errorf("default state key on the volume, no warning:\n%s", r.stderr)
	}

	r = startServe(t, env, "--data", filepath.Join(dir, "b"), "--recipient", id.Recipient().String(),
		"--state-key", filepath.Join(dir, "elsewhere.key"))
	r.stop()
	if strings.Contains(r.stderr.String(), warning) {
		t.Errorf("--state-key given, yet warned:\n%s", r.stderr)
	}
}
