package testharness

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// InCI reports whether the tests run under CI (CI=true), where a missing
// client fails a test instead of skipping it.
func InCI() bool {
	v, _ := strconv.ParseBool(os.Getenv("CI"))
	return v
}

// Unavailable ends the test because something it needs is missing: a
// failure in CI, a skip with the reason elsewhere.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("required for CI: %s", msg)
	}
	t.Skipf("skipped: %s (.ci/run installs it)", msg)
}

// NeedTool returns the path of an executable found in PATH, or ends the
// test through Unavailable.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "%s not found in PATH", name)
	}
	return p
}

// S3Options selects how the aws-sdk-go-v2 client computes checksums.
type S3Options struct {
	// ChecksumWhenRequired sets RequestChecksumCalculation and
	// ResponseChecksumValidation to WhenRequired (the SDK's behaviour
	// before 2025). The default is WhenSupported: every upload carries a
	// CRC32, as an aws-chunked trailer over HTTPS.
	ChecksumWhenRequired bool
}

// S3Client returns an aws-sdk-go-v2 S3 client for g: static credentials,
// path style, region us-east-1, no retries (a test must see the first
// answer), and nothing read from the environment or ~/.aws. optFns may
// adjust the options further.
func S3Client(t testing.TB, g *Gateway, o S3Options, optFns ...func(*s3.Options)) *s3.Client {
	t.Helper()
	opts := s3.Options{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(g.AccessKey, g.SecretKey, ""),
		BaseEndpoint:               aws.String(g.Endpoint),
		UsePathStyle:               true,
		HTTPClient:                 g.HTTPClient(),
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	if o.ChecksumWhenRequired {
		opts.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		opts.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	return s3.New(opts, optFns...)
}

// MinioClient returns a minio-go client for g (path style, us-east-1).
// Over plain HTTP minio-go signs PutObject bodies chunk by chunk
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD).
func MinioClient(t testing.TB, g *Gateway, optFns ...func(*minio.Options)) *minio.Client {
	t.Helper()
	u, err := url.Parse(g.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	opts := &minio.Options{
		Creds:        miniocreds.NewStaticV4(g.AccessKey, g.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Transport:    g.transport(),
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
	}
	for _, f := range optFns {
		f(opts)
	}
	c, err := minio.New(u.Host, opts)
	if err != nil {
		t.Fatalf("testharness: minio.New: %v", err)
	}
	return c
}

var (
	awsOnce sync.Once
	awsPath string
	awsErr  error
)

// AWSPath finds a working aws CLI: in PATH, else under pyenv. A pyenv shim
// is resolved to the script it would run, because the harness gives the CLI
// a temporary HOME, under which pyenv would not find its versions.
func AWSPath(t testing.TB) string {
	t.Helper()
	p, err := AWSPathOrError()
	if err != nil {
		Unavailable(t, "%v", err)
	}
	return p
}

// AWSPathOrError is AWSPath for callers that decide themselves what a
// missing CLI means.
func AWSPathOrError() (string, error) {
	awsOnce.Do(findAWS)
	return awsPath, awsErr
}

// findAWS tries, in order, aws in PATH and the aws of each pyenv version,
// and keeps the first that runs.
func findAWS() {
	var cands []string
	if p, err := exec.LookPath("aws"); err == nil {
		cands = append(cands, p)
	}
	roots := []string{os.Getenv("PYENV_ROOT"), "/root/.pyenv"}
	if h, err := os.UserHomeDir(); err == nil {
		roots = append(roots, filepath.Join(h, ".pyenv"))
	}
	for _, r := range roots {
		if r == "" {
			continue
		}
		if v, err := os.ReadFile(filepath.Join(r, "version")); err == nil {
			for _, name := range strings.Fields(string(v)) {
				cands = append(cands, filepath.Join(r, "versions", name, "bin", "aws"))
			}
		}
		m, _ := filepath.Glob(filepath.Join(r, "versions", "*", "bin", "aws"))
		cands = append(cands, m...)
	}
	var tried []string
	for _, c := range cands {
		if strings.Contains(c, "/shims/") {
			continue
		}
		cmd := exec.Command(c, "--version")
		cmd.Env = baseEnv(os.TempDir())
		if out, err := cmd.CombinedOutput(); err == nil && bytes.Contains(out, []byte("aws-cli/")) {
			awsPath = c
			return
		}
		tried = append(tried, c)
	}
	awsErr = fmt.Errorf("no working aws CLI (tried PATH, pyenv versions: %v)", tried)
}

// AWSCommand prepares `aws --endpoint-url ENDPOINT args...` for g with a
// private HOME, config and credentials; the caller sets Stdin/Stdout (for
// `aws s3 cp - s3://...`) and runs it.
func AWSCommand(t testing.TB, g *Gateway, args ...string) *exec.Cmd {
	t.Helper()
	bin := AWSPath(t)
	home := t.TempDir()
	config := filepath.Join(home, "config")
	creds := filepath.Join(home, "credentials")
	writeFile(t, config, "[default]\nregion = us-east-1\noutput = json\ns3 =\n    addressing_style = path\n")
	writeFile(t, creds, fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", g.AccessKey, g.SecretKey))
	full := []string{"--endpoint-url", g.Endpoint}
	if g.CAFile != "" {
		full = append(full, "--ca-bundle", g.CAFile)
	}
	cmd := exec.Command(bin, append(full, args...)...)
	cmd.Env = append(baseEnv(home),
		"AWS_CONFIG_FILE="+config,
		"AWS_SHARED_CREDENTIALS_FILE="+creds,
		"AWS_ACCESS_KEY_ID="+g.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+g.SecretKey,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
	return cmd
}

// AWSCLI returns a function that runs the aws CLI against g and returns its
// standard output; a failure's error carries the standard error.
func AWSCLI(t testing.TB, g *Gateway) func(args ...string) ([]byte, error) {
	t.Helper()
	AWSPath(t)
	return func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		c := AWSCommand(t, g, args...)
		cmd := exec.CommandContext(ctx, c.Path, c.Args[1:]...)
		cmd.Env = c.Env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return stdout.Bytes(), fmt.Errorf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return stdout.Bytes(), nil
	}
}

func writeFile(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
