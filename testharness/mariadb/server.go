package mariadb

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Tools are the MariaDB binaries the tests need, as Debian installs them
// (mariadb-server, mariadb-client, mariadb-backup).
var Tools = []string{"mariadbd", "mariadb-install-db", "mariadb", "mariadb-admin", "mariadb-backup", "mbstream"}

// Server is a running mariadbd.
type Server struct {
	Datadir string
	Socket  string
	Port    int
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
	t       testing.TB
}

// userArgs runs the server as root when the test runs as root (CI and
// these machines); mariadbd refuses root without --user=root.
func userArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}

// Install makes a fresh datadir with the system tables.
func Install(t testing.TB, datadir string) {
	t.Helper()
	args := append([]string{"--no-defaults", "--datadir=" + datadir, "--auth-root-authentication-method=normal", "--skip-test-db"}, userArgs()...)
	cmd := exec.Command("mariadb-install-db", args...)
	cmd.Env = cleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
}

// Start runs mariadbd on datadir, on 127.0.0.1 and a free port, and waits
// until it answers. It is shut down when the test ends. A port taken
// between the probe and mariadbd's bind makes it try another.
func Start(t testing.TB, datadir string) *Server {
	t.Helper()
	var err error
	for range 3 {
		var s *Server
		if s, err = start(t, datadir); err == nil {
			return s
		}
	}
	t.Fatal(err)
	return nil
}

func start(t testing.TB, datadir string) (*Server, error) {
	run := t.TempDir()
	s := &Server{Datadir: datadir, Socket: filepath.Join(run, "mysqld.sock"), logPath: filepath.Join(run, "error.log"), t: t}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	args := append([]string{"--no-defaults", "--datadir=" + datadir, "--socket=" + s.Socket,
		fmt.Sprintf("--port=%d", s.Port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--pid-file=" + filepath.Join(run, "mysqld.pid"), "--log-error=" + s.logPath,
		"--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M"}, userArgs()...)
	s.cmd = exec.Command("mariadbd", args...)
	s.cmd.Env = cleanEnv()
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mariadbd: %v", err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	for deadline := time.Now().Add(90 * time.Second); ; {
		select {
		case <-s.done:
			return nil, fmt.Errorf("mariadbd on %s (port %d) exited during startup:\n%s", datadir, s.Port, s.Log())
		default:
		}
		if _, err := s.query("SELECT 1"); err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("mariadbd on %s did not answer within 90s:\n%s", datadir, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Log is the server's error log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// ClientArgs are the connection options for the mariadb client and
// mariadb-backup (over TCP on 127.0.0.1, as root without a password).
func (s *Server) ClientArgs() []string {
	return []string{"--user=root", "--host=127.0.0.1", fmt.Sprintf("--port=%d", s.Port), "--protocol=tcp"}
}

func (s *Server) query(sql string) (string, error) {
	args := append([]string{"--no-defaults"}, s.ClientArgs()...)
	cmd := exec.Command("mariadb", append(args, "--batch", "--skip-column-names", "-e", sql)...)
	cmd.Env = cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("mariadb -e %.80q: %v: %s", sql, err, errb.Bytes())
	}
	return out.String(), nil
}

// Exec runs SQL and returns the client's tab-separated output.
func (s *Server) Exec(sql string) string {
	s.t.Helper()
	out, err := s.query(sql)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// Checksums returns CHECKSUM TABLE and COUNT(*) of each table, one line
// per table, for comparing a restored server with the original.
func (s *Server) Checksums(tables []string) string {
	s.t.Helper()
	var b strings.Builder
	b.WriteString(s.Exec("CHECKSUM TABLE " + strings.Join(tables, ", ")))
	for _, tb := range tables {
		b.WriteString(tb + " rows " + s.Exec("SELECT COUNT(*) FROM "+tb))
	}
	return b.String()
}

// Stop shuts the server down cleanly (SIGTERM), killing it after 30s.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func cleanEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "LANG=C.UTF-8"}
}
