// Package s3test starts real S3 servers for tests: MinIO in erasure-coded
// mode (four drives in temporary directories) and versitygw on its POSIX
// backend. The binaries come from $ENVELOPEGW_TOOLS, the cache that
// .ci/run builds them into (/root/.cache/envelopegw-tools), or PATH.
// Without a binary a test skips, unless CI=true, where it fails.
package s3test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Server is a running upstream with one pre-created bucket.
type Server struct {
	Name      string // "minio" or "versitygw"
	Endpoint  string // host:port on 127.0.0.1, plain HTTP
	AccessKey string
	SecretKey string
	Bucket    string
	Client    *minio.Client
	cmd       *exec.Cmd
	start     func() *exec.Cmd
	logPath   string
}

// Tool finds a server binary, or skips (fails under CI=true).
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := Find(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(err)
	}
	t.Skip(err)
	return ""
}

// Find looks for a server binary in $ENVELOPEGW_TOOLS, the tools cache and
// PATH (for programs, such as the benchmark, that are not tests).
func Find(name string) (string, error) {
	var dirs []string
	if d := os.Getenv("ENVELOPEGW_TOOLS"); d != "" {
		dirs = append(dirs, d)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "envelopegw-tools"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found in $ENVELOPEGW_TOOLS, ~/.cache/envelopegw-tools or PATH (bash .ci/run builds it)", name)
}

// MinIOCommand is the command line and environment (beyond a clean one)
// that run MinIO erasure-coded on four drives under dir, with its default
// root credentials (this build keeps minioadmin whatever MINIO_ROOT_USER
// says), listening on addr and console (both on 127.0.0.1).
func MinIOCommand(bin, addr, console, dir string) (args, env []string) {
	return []string{bin, "server", "--quiet", "--address", addr, "--console-address", console, filepath.Join(dir, "drive{1...4}")},
		[]string{"MINIO_ROOT_USER=minioadmin", "MINIO_ROOT_PASSWORD=minioadmin", "MINIO_CI_CD=1", "MINIO_BROWSER=off", "MINIO_UPDATE=off", "HOME=" + dir}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// StartMinIO runs `minio server DIR{1...4}` (erasure-coded) on a free
// port and creates bucket "upstream".
func StartMinIO(t testing.TB) *Server {
	t.Helper()
	s := newMinIO(Tool(t, "minio"), t.TempDir(), freePort(t), freePort(t))
	s.launch(t)
	return s
}

func newMinIO(bin, dir, addr, console string) *Server {
	// This MinIO build keeps its default root credentials whatever
	// MINIO_ROOT_USER says; the server listens on 127.0.0.1 only.
	s := &Server{Name: "minio", Endpoint: addr, AccessKey: "minioadmin", SecretKey: "minioadmin", Bucket: "upstream", logPath: filepath.Join(dir, "server.log")}
	s.start = func() *exec.Cmd {
		args, env := MinIOCommand(bin, addr, console, dir)
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(cleanEnv(), env...)
		return cmd
	}
	return s
}

// StartVersity runs versitygw on its POSIX backend in a temporary
// directory on a free port and creates bucket "upstream".
func StartVersity(t testing.TB) *Server {
	t.Helper()
	bin := Tool(t, "versitygw")
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	s := &Server{Name: "versitygw", Endpoint: addr, AccessKey: "envtestadmin", SecretKey: "envtest-secret-key-0123", Bucket: "upstream", logPath: filepath.Join(dir, "server.log")}
	s.start = func() *exec.Cmd {
		cmd := exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--port", addr, "posix", root)
		cmd.Env = append(cleanEnv(), "HOME="+dir)
		return cmd
	}
	s.launch(t)
	return s
}

// cleanEnv is the environment without AWS_* and MINIO_* settings of the
// machine, so the server runs as the test intends.
func cleanEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "AWS_") || strings.HasPrefix(e, "MINIO_") || strings.HasPrefix(e, "VGW_") {
			continue
		}
		env = append(env, e)
	}
	return env
}

func (s *Server) launch(t testing.TB) {
	t.Helper()
	t.Cleanup(func() { s.Stop() })
	if err := s.up(); err != nil {
		t.Fatal(err)
	}
}

// up starts the server and waits until it has created its bucket.
func (s *Server) up() error {
	if err := s.Start(); err != nil {
		return err
	}
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		return err
	}
	s.Client = c
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		err = c.MakeBucket(ctx, s.Bucket, minio.MakeBucketOptions{Region: "us-east-1"})
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			log, _ := os.ReadFile(s.logPath)
			return fmt.Errorf("%s did not come up on %s: %v\n%s", s.Name, s.Endpoint, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Start (re)starts the server process on its address and data.
func (s *Server) Start() error {
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	s.cmd = s.start()
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", s.Name, err)
	}
	go func(cmd *exec.Cmd) { cmd.Wait(); logf.Close() }(s.cmd)
	return nil
}

// WaitReady waits until the server answers S3 requests again.
func (s *Server) WaitReady(ctx context.Context) error {
	for {
		_, err := s.Client.BucketExists(ctx, s.Bucket)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", s.Name, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop kills the server process (the data stays for Start).
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		for i := 0; i < 100; i++ {
			if c, err := net.DialTimeout("tcp", s.Endpoint, 50*time.Millisecond); err == nil {
				c.Close()
				time.Sleep(50 * time.Millisecond)
				continue
			}
			break
		}
	}
}

// URL is the endpoint as an http URL.
func (s *Server) URL() string { return "http://" + s.Endpoint }

var _ = http.StatusOK
