package testharness

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// devServe runs `envelopegw serve --listen ADDR` with no keys, no
// credentials and no ENVELOPEGW_* variables, in dir, as the README's first
// command does (plus a free port), and returns the banner's fields once it
// printed them.
func devServe(t *testing.T, dir, addr string) (fields map[string]string, stop func()) {
	t.Helper()
	out := filepath.Join(dir, "serve.out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(Binary(t), "serve", "--listen", addr, "--no-fsync")
	cmd.Dir = dir
	cmd.Env = baseEnv(dir)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(out)
		fields = map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			for _, name := range []string{"endpoint", "access key", "secret key", "private key"} {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
					fields[name] = strings.TrimSpace(v)
				}
			}
		}
		if len(fields) == 4 {
			return fields, stop
		}
		select {
		case <-done:
			t.Fatalf("envelopegw serve (dev default) exited:\n%s", b)
		case <-time.After(50 * time.Millisecond):
		}
	}
	b, _ := os.ReadFile(out)
	t.Fatalf("no development banner within 30s:\n%s", b)
	return nil, nil
}

// TestDevDefault is the README flow: serve with no configuration creates
// ./data, a development identity and credentials (files mode 0600), prints
// the endpoint, keys and private key path; the aws CLI works with the
// printed credentials; a restart reuses them; `envelopegw cat` with the
// printed private key restores an object.
func TestDevDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freeAddr(t)
	f, stop := devServe(t, dir, addr)
	if f["endpoint"] != "http://"+addr {
		t.Errorf("banner endpoint %q, want http://%s", f["endpoint"], addr)
	}
	if !filepath.IsAbs(f["private key"]) || !strings.HasPrefix(f["private key"], filepath.Join(dir, "data")) {
		t.Errorf("private key path %q is not under ./data", f["private key"])
	}
	filepath.WalkDir(filepath.Join(dir, "data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil && fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
			}
		}
		return nil
	})

	g := &Gateway{Endpoint: f["endpoint"], AccessKey: f["access key"], SecretKey: f["secret key"], Addr: addr}
	aws := AWSCLI(t, g)
	src := filepath.Join(dir, "backup.xbstream")
	sum := WriteDataFile(t, src, 9, 3*mib+5)
	for _, args := range [][]string{
		{"s3", "mb", "s3://backups"},
		{"s3", "cp", "--only-show-errors", src, "s3://backups/"},
	} {
		if _, err := aws(args...); err != nil {
			t.Fatal(err)
		}
	}

	stop()
	f2, _ := devServe(t, dir, addr)
	if f2["access key"] != f["access key"] || f2["secret key"] != f["secret key"] || f2["private key"] != f["private key"] {
		t.Errorf("a restart made new development credentials or keys")
	}
	restored := filepath.Join(dir, "restored.xbstream")
	if _, err := aws("s3", "cp", "--only-show-errors", "s3://backups/backup.xbstream", restored); err != nil {
		t.Fatal(err)
	}
	if FileSHA256(t, restored) != sum {
		t.Errorf("restored file differs")
	}
	cat := Command(t, "cat", "--data", filepath.Join(dir, "data"), "--signer", filepath.Join(dir, "data", ".envelopegw", "signing.key.pub"), "-i", f["private key"], "backups/backup.xbstream")
	out, err := cat.Output()
	if err != nil {
		t.Fatalf("envelopegw cat with the development key: %v", err)
	}
	if s, _, _ := SHA256Hex(bytes.NewReader(out)); s != sum {
		t.Errorf("cat output differs")
	}
}
