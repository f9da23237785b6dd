package testharness

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeMarkedFile streams n bytes of markedReader to path and returns
// their hex SHA-256.
func writeMarkedFile(t *testing.T, path string, seed uint64, n int64, marker []byte) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(f, h), markedReader(seed, n, marker), make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestAWSCLIAcceptance is issue 3's acceptance run with the aws CLI v1:
// mb s3://backups, cp of a 50 MiB file up and down, ls, presign + curl, rm, rb — all
// byte-identical, and the file's marker nowhere under the data dir. The
// gateway runs with its defaults (fsync on); over HTTP and over HTTPS
// (where botocore sends aws-chunked bodies with checksum trailers).
func TestAWSCLIAcceptance(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name     string
		tls      bool
		upstream bool // a gateway on the shared MinIO
	}{{"http", false, false}, {"https", true, false}, {"upstream", true, true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			g := Start(t, Options{TLS: mode.tls, Upstream: upstreamIf(t, mode.upstream)})
			aws := AWSCLI(t, g)
			run := func(args ...string) string {
				t.Helper()
				t0 := time.Now()
				defer func() { t.Logf("aws %s: %v", strings.Join(args, " "), time.Since(t0).Round(time.Millisecond)) }()
				out, err := aws(args...)
				if err != nil {
					t.Fatal(err)
				}
				return string(out)
			}
			dir := t.TempDir()
			marker := newMarker()
			src := filepath.Join(dir, "db backup.xb")
			sum := writeMarkedFile(t, src, 50, 50*mib, marker)

			run("s3", "mb", "s3://backups")
			if out := run("s3", "ls"); !strings.Contains(out, " backups\n") {
				t.Errorf("aws s3 ls does not list the bucket: %q", out)
			}
			run("s3", "cp", "--only-show-errors", src, "s3://backups/nightly/db backup.xb")
			out := run("s3", "ls", "s3://backups/nightly/")
			if !strings.Contains(out, " 52428800 db backup.xb") {
				t.Errorf("aws s3 ls: %q, want the 52428800-byte object", out)
			}
			down := filepath.Join(dir, "restored")
			run("s3", "cp", "--only-show-errors", "s3://backups/nightly/db backup.xb", down)
			if got := FileSHA256(t, down); got != sum {
				t.Fatalf("aws s3 cp down: SHA-256 %s, uploaded %s", got, sum)
			}
			url := strings.TrimSpace(run("s3", "presign", "s3://backups/nightly/db backup.xb", "--expires-in", "300"))
			viaCurl := filepath.Join(dir, "via-curl")
			if _, err := curl(t, g, "-o", viaCurl, url); err != nil {
				t.Fatalf("curl of the presigned URL: %v", err)
			}
			if got := FileSHA256(t, viaCurl); got != sum {
				t.Fatalf("presigned download: SHA-256 %s, uploaded %s", got, sum)
			}

			// s3api too: head-object and list-objects-v2 as JSON.
			var head struct {
				ContentLength int64
				ETag          string
			}
			if err := json.Unmarshal([]byte(run("s3api", "head-object", "--bucket", "backups", "--key", "nightly/db backup.xb")), &head); err != nil {
				t.Fatal(err)
			}
			if head.ContentLength != 50*mib || !strings.HasPrefix(head.ETag, `"`) {
				t.Errorf("head-object: %+v", head)
			}

			if mode.upstream {
				assertNoMarkerUpstream(t, g, marker)
			} else {
				assertNoMarker(t, g.DataDir, marker)
			}

			run("s3", "rm", "s3://backups/nightly/db backup.xb")
			if out := run("s3", "ls", "--recursive", "s3://backups/"); strings.TrimSpace(out) != "" {
				t.Errorf("after aws s3 rm the bucket still lists %q", out)
			}
			if _, err := aws("s3", "cp", "--only-show-errors", "s3://backups/nightly/db backup.xb", filepath.Join(dir, "gone")); err == nil {
				t.Errorf("aws s3 cp of a removed object succeeded")
			}
			run("s3", "rb", "s3://backups")
		})
	}
}

// TestAWSCLILarge is issue 4's CLI test: a 1 GiB file (a multipart upload
// in the CLI's 8 MiB parts, 10 at a time) and an upload from a pipe of
// unknown length, both downloaded again byte-identical. Data is generated
// and hashed as it streams; nothing holds it in memory.
func TestAWSCLILarge(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 1 GiB aws CLI transfers")
	}
	t.Parallel()
	g := Start(t, Options{TLS: true, NoFsync: true})
	aws := AWSCLI(t, g)
	if _, err := aws("s3", "mb", "s3://large"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	t.Run("file 1GiB", func(t *testing.T) {
		src := filepath.Join(dir, "big")
		sum := WriteDataFile(t, src, 1, 1<<30+12345)
		if _, err := aws("s3", "cp", "--only-show-errors", src, "s3://large/big"); err != nil {
			t.Fatal(err)
		}
		os.Remove(src)
		var head struct {
			ContentLength int64
			ETag          string
		}
		out, err := aws("s3api", "head-object", "--bucket", "large", "--key", "big")
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal(out, &head)
		if head.ContentLength != 1<<30+12345 || !strings.HasSuffix(head.ETag, `-129"`) {
			t.Errorf("head-object of the 1 GiB upload: %+v (want 129 parts of 8 MiB)", head)
		}
		down := filepath.Join(dir, "big.down")
		if _, err := aws("s3", "cp", "--only-show-errors", "s3://large/big", down); err != nil {
			t.Fatal(err)
		}
		if got := FileSHA256(t, down); got != sum {
			t.Fatalf("1 GiB round trip: SHA-256 %s, want %s", got, sum)
		}
		os.Remove(down)
	})

	t.Run("pipe", func(t *testing.T) {
		const n = 1<<30 + 777
		up := AWSCommand(t, g, "s3", "cp", "--only-show-errors", "-", "s3://large/piped")
		up.Stdin = io.MultiReader(DataReader(2, n)) // a pipe: no length, no seeking
		if out, err := up.CombinedOutput(); err != nil {
			t.Fatalf("aws s3 cp - : %v\n%s", err, out)
		}
		want, _, _ := SHA256Hex(DataReader(2, n))
		downCmd := AWSCommand(t, g, "s3", "cp", "--only-show-errors", "s3://large/piped", "-")
		stdout, err := downCmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		downCmd.Stderr = &stderr
		if err := downCmd.Start(); err != nil {
			t.Fatal(err)
		}
		got, size, err := SHA256Hex(stdout)
		if werr := downCmd.Wait(); werr != nil || err != nil {
			t.Fatalf("aws s3 cp ... - : %v %v\n%s", werr, err, stderr.String())
		}
		if size != n || got != want {
			t.Fatalf("piped round trip: %d bytes, SHA-256 match %v", size, got == want)
		}
	})
}
