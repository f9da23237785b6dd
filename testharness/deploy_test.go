package testharness

import (
	"bytes"
	"debug/elf"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the repository's top directory (tests run in testharness/).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestDeploySystemdUnit: deploy/envelopegw.service passes
// `systemd-analyze verify` without a warning (an unknown or misspelt
// directive is only a warning there, so any output fails the test). The
// unit's ExecStart names /usr/local/bin/envelopegw; the check points it
// at the freshly built binary, since verify wants the program to exist.
// systemd-analyze needs no running systemd: .ci/run installs Debian's
// systemd package for it.
func TestDeploySystemdUnit(t *testing.T) {
	t.Parallel()
	analyze := NeedTool(t, "systemd-analyze")
	unit, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "envelopegw.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/srv/envelopegw", "LimitNOFILE=", "ExecReload=/bin/kill -HUP $MAINPID", "ExecStart=/usr/local/bin/envelopegw serve --data /srv/envelopegw"} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	unit = bytes.ReplaceAll(unit, []byte("/usr/local/bin/envelopegw "), []byte(Binary(t)+" "))
	path := filepath.Join(t.TempDir(), "envelopegw.service")
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// dockerBuildLine returns the Dockerfile's `go build` command.
func dockerBuildLine(t *testing.T, dockerfile []byte) string {
	t.Helper()
	for _, l := range strings.Split(string(dockerfile), "\n") {
		if cmd, ok := strings.CutPrefix(l, "RUN "); ok && strings.Contains(cmd, "go build") {
			return cmd
		}
	}
	t.Fatal("the Dockerfile has no RUN ... go build line")
	return ""
}

// TestDockerfile: the image builds where a Docker daemon answers (not on
// these machines: that part skips, saying so). Everywhere, the binary is
// built by the Dockerfile's own build command and run the way the image
// runs it: static (the distroless base has no libc), as uid 65532, with
// a read-only root filesystem and only the data directory writable (a
// private mount namespace stands in for `docker run --read-only`). It
// must start, create its state on the volume and report ready.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("docker build", func(t *testing.T) {
		if _, err := exec.LookPath("docker"); err != nil {
			t.Skip("skipped: no docker client on this machine; the image itself is checked by the sibling subtest's build and run")
		}
		if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
			t.Skipf("skipped: no Docker daemon answers (%v): %s", err, bytes.TrimSpace(out))
		}
		out, err := exec.Command("docker", "build", "-t", "envelopegw-test", root).CombinedOutput()
		if err != nil {
			t.Fatalf("docker build: %v\n%s", err, out)
		}
	})
	t.Run("same build, run as the image runs it", func(t *testing.T) {
		for _, tool := range []string{"unshare", "setpriv", "mount"} {
			NeedTool(t, tool)
		}
		if os.Geteuid() != 0 {
			Unavailable(t, "running as another user in a private mount namespace needs root")
		}
		// Not t.TempDir: its parent is 0700, and uid 65532 must reach
		// the binary and the data directory.
		dir, err := os.MkdirTemp("", "envelopegw-image-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		line := strings.ReplaceAll(dockerBuildLine(t, dockerfile), "/out/", dir+"/")
		build := exec.Command("sh", "-c", line)
		build.Dir = root
		build.Env = append(os.Environ(), "VERSION=9.8.7-test", "COMMIT=feedface")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		bin := filepath.Join(dir, "envelopegw")
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary is dynamically linked: it cannot run on distroless/static")
			}
		}
		f.Close()
		for _, arg := range []string{"version", "--version"} {
			out, err := exec.Command(bin, arg).Output()
			if err != nil || !strings.Contains(string(out), "envelopegw 9.8.7-test\ncommit     feedface\ngo         go1.") {
				t.Errorf("envelopegw %s of the image build: %v\n%s", arg, err, out)
			}
		}

		data := filepath.Join(dir, "data")
		if err := os.Mkdir(data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(data, 65532, 65532); err != nil {
			t.Fatal(err)
		}
		listen, admin := freeAddr(t), freeAddr(t)
		script := fmt.Sprintf("mount --make-rprivate / && mount --bind %[1]s %[1]s && mount -o remount,bind,ro / && exec setpriv --reuid 65532 --regid 65532 --clear-groups %[2]s serve", data, bin)
		cmd := exec.Command("unshare", "--mount", "sh", "-c", script)
		logPath := filepath.Join(dir, "serve.log")
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
		logText := func() string { b, _ := os.ReadFile(logPath); return string(b) }
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ENVELOPEGW_DATA=" + data, "ENVELOPEGW_LISTEN=" + listen,
			"ENVELOPEGW_ADMIN_LISTEN=" + admin, "ENVELOPEGW_LOG_FORMAT=json"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		var waitErr error
		go func() { waitErr = cmd.Wait(); close(exited) }()
		defer func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get("http://" + admin + "/health/ready")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			select {
			case <-exited:
				t.Fatalf("the gateway exited: %v\n%s", waitErr, logText())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("not ready within 20s\n%s", logText())
			}
			time.Sleep(50 * time.Millisecond)
		}
		st, err := os.Stat(filepath.Join(data, ".envelopegw", "state.key"))
		if err != nil {
			t.Fatalf("no state key on the volume: %v", err)
		}
		if s := st.Sys().(*syscall.Stat_t); s.Uid != 65532 {
			t.Errorf("the state key belongs to uid %d, want 65532", s.Uid)
		}
	})
}
