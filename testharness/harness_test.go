package testharness

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHarnessLifecycle checks the harness itself: Start waits for this
// process's own "serving" line, Restart keeps the address, Kill and Stop
// end the process, and clients get environments with nothing inherited
// from AWS_*.
func TestHarnessLifecycle(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	g := Start(t, Options{NoFsync: true})
	if !g.saidServing(0) {
		t.Errorf("Start returned before serve said it was serving on %s:\n%s", g.Addr, g.Log())
	}
	t.Logf("Start took %v", time.Since(t0))
	pid := g.PID()
	if pid == 0 {
		t.Fatal("no process")
	}
	for _, f := range []string{g.IdentityFile, g.RecipientFile} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("key file: %v", err)
		}
	}
	if fi, err := os.Stat(g.IdentityFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("identity file mode %v, want 0600", fi.Mode().Perm())
	}
	g.Restart()
	if g.PID() == pid || g.PID() == 0 {
		t.Errorf("Restart: pid %d -> %d", pid, g.PID())
	}
	c, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatalf("after Restart the address does not answer: %v", err)
	}
	c.Close()
	g.Kill()
	if g.PID() != 0 {
		t.Error("Kill left a process")
	}
	if c, err := net.DialTimeout("tcp", g.Addr, time.Second); err == nil {
		c.Close()
		t.Error("the port still answers after Kill")
	}
	g.Stop() // a no-op now

	if os.Getenv("AWS_CA_BUNDLE") == "" {
		t.Log("AWS_CA_BUNDLE is not set here; the isolation check below is weaker")
	}
	for _, kv := range Command(t, "version").Env {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "ENVELOPEGW_") {
			t.Errorf("envelopegw command inherits %s", kv)
		}
	}
	if _, err := AWSPathOrError(); err == nil {
		for _, kv := range AWSCommand(t, g, "--version").Env {
			if strings.HasPrefix(kv, "AWS_CA_BUNDLE") || strings.HasPrefix(kv, "AWS_PROFILE") {
				t.Errorf("aws CLI environment carries %s", kv)
			}
		}
	}
}
