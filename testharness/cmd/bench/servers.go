package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// server is a server process under measurement.
type server struct {
	name     string
	endpoint string
	cmd      *exec.Cmd
	log      string
	ak, sk   string

	data, recipient string // the gateway's data directory and recipient file
	// stored, when set, sums the sizes of what the server's store holds
	// for it (an upstream bucket), to price the stored overhead.
	stored func(context.Context) (int64, error)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func cleanEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "LANG=C.UTF-8"}
	return append(env, extra...)
}

// start runs the command and waits until addr accepts connections.
func start(name, addr, logPath string, args []string, env []string) (*server, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("%s exited during startup: %v\n%s", name, err, b)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return &server{name: name, endpoint: "http://" + addr, cmd: cmd, log: logPath}, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("%s did not listen on %s within 30s", name, addr)
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
	}
}

// startSink re-executes this program in sink mode, so that the sink is a
// process of its own whose CPU, memory and I/O can be read from /proc.
func startSink(work string, fsync bool) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, "sink")
	args := []string{self, "-sink-mode", "-sink-listen", addr, "-sink-dir", dir, fmt.Sprintf("-fsync=%v", fsync)}
	s, err := start("sink", addr, filepath.Join(work, "sink.log"), args, cleanEnv())
	if err != nil {
		return nil, err
	}
	s.ak, s.sk = "SINK", "sink"
	return s, nil
}

// buildGateway builds cmd/envelopegw into work (the benchmark runs from
// the module, as `go run ./testharness/cmd/bench`).
func buildGateway(work string) (string, error) {
	bin := filepath.Join(work, "envelopegw")
	out, err := exec.Command("go", "build", "-o", bin, "envelopegw/cmd/envelopegw").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build envelopegw/cmd/envelopegw (run the benchmark from the module, or pass -gateway-bin): %v\n%s", err, out)
	}
	return bin, nil
}

// startGateway generates a key pair and runs `envelopegw serve` with the
// recipient only (an ingest host), fsync as asked, and fresh credentials;
// readable adds the identity, for GET workloads. The store is a data
// directory under work, or up, an upstream S3 bucket.
func startGateway(bin, work string, up *upstream, fsync, readable bool, extra []string) (*server, error) {
	id := filepath.Join(work, "identity.txt")
	kg := exec.Command(bin, "keygen", "-o", id)
	kg.Env = cleanEnv()
	out, err := kg.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("envelopegw keygen: %v\n%s", err, out)
	}
	recipient := id + ".pub" // keygen -o writes it; --recipient takes a file
	if _, err := os.Stat(recipient); err != nil {
		return nil, fmt.Errorf("envelopegw keygen wrote no recipient file: %v\n%s", err, out)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ak, sk := "BENCH"+randHex(6), randHex(20)
	env := []string{"ENVELOPEGW_ACCESS_KEY=" + ak, "ENVELOPEGW_SECRET_KEY=" + sk}
	args := []string{bin, "serve", "--listen", addr, "--recipient", recipient, "--log-level", "warn"}
	data := "" // no data directory on an upstream
	if up != nil {
		args = append(args, "--upstream", up.url)
		env = append(env, "ENVELOPEGW_UPSTREAM_ACCESS_KEY="+up.ak, "ENVELOPEGW_UPSTREAM_SECRET_KEY="+up.sk)
	} else {
		data = filepath.Join(work, "gateway-data")
		if err := os.MkdirAll(data, 0o700); err != nil {
			return nil, err
		}
		args = append(args, "--data", data)
	}
	if !fsync {
		args = append(args, "--no-fsync")
	}
	if readable {
		args = append(args, "--identity", id)
	}
	args = append(args, extra...)
	s, err := start("gateway", addr, filepath.Join(work, "gateway.log"), args, cleanEnv(env...))
	if err != nil {
		return nil, err
	}
	s.ak, s.sk = ak, sk
	s.data, s.recipient = data, recipient
	return s, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}
