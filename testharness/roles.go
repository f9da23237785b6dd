package testharness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// User is one entry of a users file (serve --users).
type User struct {
	Name      string          `json:"name,omitempty"`
	AccessKey string          `json:"access_key"`
	SecretKey string          `json:"secret_key"`
	Policies  []string        `json:"policies,omitempty"`
	Buckets   []string        `json:"buckets,omitempty"`
	Policy    json.RawMessage `json:"policy,omitempty"`
}

// NewUser returns a user with fresh random credentials.
func NewUser(name string, policies ...string) User {
	return User{Name: name, AccessKey: "EGWU" + randHex(8), SecretKey: randHex(20), Policies: policies}
}

// WriteUsersFile writes a users file (mode 0600) atomically, so that a
// gateway reloading it never reads half a file, and returns its path.
func WriteUsersFile(t testing.TB, path string, users ...User) string {
	t.Helper()
	b, err := json.MarshalIndent(map[string]any{"users": users}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	WriteFileAtomic(t, path, b, 0o600)
	return path
}

// WriteFileAtomic writes data to path through a temporary file and a
// rename.
func WriteFileAtomic(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// UserS3Client is S3Client signing as u instead of the gateway's admin.
func UserS3Client(t testing.TB, g *Gateway, u User, o S3Options, optFns ...func(*s3.Options)) *s3.Client {
	t.Helper()
	fns := append([]func(*s3.Options){func(so *s3.Options) {
		so.Credentials = credentials.NewStaticCredentialsProvider(u.AccessKey, u.SecretKey, "")
	}}, optFns...)
	return S3Client(t, g, o, fns...)
}

// Reload sends SIGHUP and waits until the log has one more line holding
// want (such as "users reloaded" or "reload failed").
func (g *Gateway) Reload(want string) {
	g.t.Helper()
	n := strings.Count(g.Log(), want)
	pid := g.PID()
	if pid == 0 {
		g.t.Fatal("testharness: Reload of a stopped gateway")
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		g.t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); strings.Count(g.Log(), want) == n; {
		if time.Now().After(deadline) {
			g.t.Fatalf("testharness: no %q in the log after SIGHUP:\n%s", want, tail(g.Log(), 4<<10))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// UserAWSCommand is AWSCommand signing as u instead of the gateway's
// admin.
func UserAWSCommand(t testing.TB, g *Gateway, u User, args ...string) *exec.Cmd {
	t.Helper()
	c := AWSCommand(t, g, args...)
	for i, kv := range c.Env {
		switch {
		case strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID="):
			c.Env[i] = "AWS_ACCESS_KEY_ID=" + u.AccessKey
		case strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY="):
			c.Env[i] = "AWS_SECRET_ACCESS_KEY=" + u.SecretKey
		case strings.HasPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE="):
			writeFile(t, strings.TrimPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE="),
				"[default]\naws_access_key_id = "+u.AccessKey+"\naws_secret_access_key = "+u.SecretKey+"\n")
		}
	}
	return c
}

// UserAWSCLI is AWSCLI signing as u instead of the gateway's admin.
func UserAWSCLI(t testing.TB, g *Gateway, u User) func(args ...string) ([]byte, error) {
	t.Helper()
	AWSPath(t)
	return func(args ...string) ([]byte, error) {
		c := UserAWSCommand(t, g, u, args...)
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(); err != nil {
			return stdout.Bytes(), fmt.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return stdout.Bytes(), nil
	}
}
