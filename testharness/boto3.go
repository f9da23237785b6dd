package testharness

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Boto3Python returns a Python interpreter that imports boto3: the one
// beside the aws CLI (botocore is the CLI's own engine, and pyenv installs
// both into one version), else python3 in PATH. Missing, it ends the test
// through Unavailable.
func Boto3Python(t testing.TB) string {
	t.Helper()
	var cands []string
	if p, err := AWSPathOrError(); err == nil {
		cands = append(cands, filepath.Join(filepath.Dir(p), "python3"), filepath.Join(filepath.Dir(p), "python"))
	}
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	for _, c := range cands {
		cmd := exec.Command(c, "-c", "import boto3")
		cmd.Env = baseEnv(t.TempDir())
		if cmd.Run() == nil {
			return c
		}
	}
	Unavailable(t, "no Python with boto3 (tried %v)", cands)
	return ""
}

// Boto3 runs a Python script against g with a boto3 S3 client already
// bound to the name s3 (path style, us-east-1, retries off, nothing read
// from ~/.aws) and returns its standard output. args reach the script as
// sys.argv[1:]. A failing script fails the test with its standard error.
func Boto3(t testing.TB, g *Gateway, script string, args ...string) []byte {
	t.Helper()
	py := Boto3Python(t)
	prelude := `import sys, json, boto3, botocore
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1",
    aws_access_key_id=AK, aws_secret_access_key=SK, verify=CA or None,
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}))
`
	head := fmt.Sprintf("ENDPOINT, AK, SK, CA = %q, %q, %q, %q\n", g.Endpoint, g.AccessKey, g.SecretKey, g.CAFile)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", head + prelude + script}, args...)...)
	cmd.Env = append(baseEnv(t.TempDir()), "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3 script: %v\n%s\nscript:\n%s", err, stderr.Bytes(), script)
	}
	return stdout.Bytes()
}
