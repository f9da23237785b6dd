package xbcloud_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"envelopegw/backend/s3/s3test"
	"envelopegw/testharness"
	"envelopegw/testharness/xbcloud"
	"envelopegw/testharness/xbstream"
)

func TestMain(m *testing.M) { testharness.Main(m) }

// gwClient returns a client for g. dns selects the endpoint name
// s3.test (served with --domain s3.test), reached through ConnectTo.
func gwClient(t *testing.T, g *testharness.Gateway, dns bool, mod func(*xbcloud.Config)) *xbcloud.Client {
	t.Helper()
	cfg := xbcloud.Config{Endpoint: g.Endpoint, AccessKey: g.AccessKey, SecretKey: g.SecretKey,
		Bucket: "backups", RetryBackoff: 20 * time.Millisecond}
	if dns {
		u, _ := url.Parse(g.Endpoint)
		cfg.Endpoint = "http://s3.test:" + u.Port()
		cfg.ConnectTo = g.Addr
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := xbcloud.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func genStream(t *testing.T, seed uint64, total int64, interleave int, sorted bool) ([]byte, xbstream.Manifest) {
	t.Helper()
	files := xbstream.DefaultFiles(total)
	if sorted {
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	}
	var b bytes.Buffer
	man, err := xbstream.Generate(&b, xbstream.GenOptions{Seed: seed, Files: files, ChunkSize: 1 << 20, Interleave: interleave})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), man
}

func extractManifest(t *testing.T, stream []byte) xbstream.Manifest {
	t.Helper()
	dir := t.TempDir()
	if _, err := xbstream.Extract(bytes.NewReader(stream), dir); err != nil {
		t.Fatalf("extracting what get returned: %v", err)
	}
	m, err := xbstream.HashDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGatewayRoundTrip puts, gets and deletes backups through the gateway
// with every addressing style and signature version, serially and with
// eight requests in flight.
func TestGatewayRoundTrip(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true, Args: []string{"--domain", "s3.test"}})
	gatewayRoundTrip(t, g, []roundTripCase{
		{"4", "path", 1}, {"4", "path", 8}, {"2", "path", 1}, {"2", "path", 8},
		{"4", "dns", 1}, {"4", "dns", 8}, {"2", "dns", 8}, {"auto", "auto", 8},
	})
}

// TestGatewayRoundTripUpstream: the same on a gateway with --upstream on
// a MinIO cluster, for a serial and a parallel put in both styles.
func TestGatewayRoundTripUpstream(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true, Upstream: s3test.SharedMinIO(t), Args: []string{"--domain", "s3.test"}})
	gatewayRoundTrip(t, g, []roundTripCase{{"4", "path", 1}, {"auto", "auto", 8}})
}

type roundTripCase struct {
	api, lookup string
	parallel    int
}

func gatewayRoundTrip(t *testing.T, g *testharness.Gateway, cases []roundTripCase) {
	ctx := context.Background()
	for _, tc := range cases {
		name := fmt.Sprintf("v%s-%s-p%d", tc.api, tc.lookup, tc.parallel)
		t.Run(name, func(t *testing.T) {
			// Sorted, non-interleaved files come back byte-identical from a
			// serial get; interleaved ones are compared file by file.
			sorted := tc.parallel == 1
			stream, man := genStream(t, uint64(len(name)), 6<<20+777, map[bool]int{true: 1, false: 3}[sorted], sorted)
			c := gwClient(t, g, tc.lookup != "path", func(c *xbcloud.Config) {
				c.APIVersion, c.BucketLookup, c.Parallel, c.MD5 = tc.api, tc.lookup, tc.parallel, true
			})
			st, err := c.Put(ctx, name, bytes.NewReader(stream))
			if err != nil {
				t.Fatalf("put: %v\n%s", err, g.Log())
			}
			if st.Bytes != int64(len(stream)) {
				t.Errorf("put sent %d of %d bytes", st.Bytes, len(stream))
			}
			if _, err := c.Put(ctx, name, bytes.NewReader(stream)); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Errorf("second put of %s: %v", name, err)
			}
			var out bytes.Buffer
			if _, err := c.Get(ctx, name, &out); err != nil {
				t.Fatalf("get: %v", err)
			}
			if sorted && !bytes.Equal(out.Bytes(), stream) {
				t.Errorf("get returned %d bytes that differ from the %d put", out.Len(), len(stream))
			}
			if d := man.Diff(extractManifest(t, out.Bytes())); d != "" {
				t.Errorf("restored files: %s", d)
			}
			if tc.lookup == "auto" {
				if l, a := c.Style(); l != xbcloud.LookupDNS || a != xbcloud.APIV4 {
					t.Errorf("auto probe against a gateway with virtual hosts chose %s+V%s, want dns+V4", l, a)
				}
			}
			n, err := c.Delete(ctx, name)
			if err != nil || n != st.Objects {
				t.Fatalf("delete: %d objects, %v; want %d", n, err, st.Objects)
			}
			if _, err := c.Get(ctx, name, &out); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Errorf("get after delete: %v", err)
			}
		})
	}
}

// TestGatewayAutoProbePath: with an IP endpoint, bucket.127.0.0.1 does not
// resolve, so the probe falls through to PATH+V4, and put creates the
// missing bucket after the 404.
func TestGatewayAutoProbePath(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true})
	ctx := context.Background()
	c := gwClient(t, g, false, func(c *xbcloud.Config) { c.Bucket = "fresh-bucket" })
	status, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l, a := c.Style(); l != xbcloud.LookupPath || a != xbcloud.APIV4 || status != 404 {
		t.Errorf("probe: %s+V%s, bucket status %d; want path+V4 and 404", l, a, status)
	}
	stream, man := genStream(t, 5, 1<<20, 2, false)
	if _, err := c.Put(ctx, "b", bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := c.Get(ctx, "b", &out); err != nil {
		t.Fatal(err)
	}
	if d := man.Diff(extractManifest(t, out.Bytes())); d != "" {
		t.Error(d)
	}
}

// TestGatewayMissingIndex: a chunk object that disappeared fails the
// restore before a byte is written.
func TestGatewayMissingIndex(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true})
	ctx := context.Background()
	c := gwClient(t, g, false, func(c *xbcloud.Config) { c.Parallel = 4 })
	stream, _ := genStream(t, 6, 4<<20, 2, false)
	if _, err := c.Put(ctx, "m", bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	key := xbcloud.ChunkKey("m", "shop/orders.ibd", 0)
	if _, err := testharness.S3Client(t, g, testharness.S3Options{}).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("backups"), Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err := c.Get(ctx, "m", &out)
	if err == nil || !strings.Contains(err.Error(), "missing chunk 0") {
		t.Fatalf("get with %s deleted: %v", key, err)
	}
	if out.Len() != 0 {
		t.Errorf("get wrote %d bytes before failing", out.Len())
	}
}

// TestGatewayFlippedCiphertext flips one byte of ciphertext on the volume:
// get must fail, never hand back wrong bytes as a complete backup.
func TestGatewayFlippedCiphertext(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true})
	ctx := context.Background()
	c := gwClient(t, g, false, func(c *xbcloud.Config) { c.Parallel = 4; c.MaxRetries = 2 })
	stream, _ := genStream(t, 7, 3<<20, 1, false)
	if _, err := c.Put(ctx, "f", bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	path := flipLargestFile(t, g.DataDir)
	var out bytes.Buffer
	_, err := c.Get(ctx, "f", &out)
	if err == nil {
		t.Fatalf("get succeeded after a flipped byte in %s (%d bytes out)", path, out.Len())
	}
	t.Logf("get failed as it must: %v", err)
	if bytes.Equal(out.Bytes(), stream) {
		t.Error("get returned the whole stream although it failed")
	}
}

// flipLargestFile flips a byte in the middle of the largest file under
// dir: the ciphertext of the largest chunk object.
func flipLargestFile(t *testing.T, dir string) string {
	t.Helper()
	var best string
	var size int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil && fi.Size() > size {
				best, size = p, fi.Size()
			}
		}
		return nil
	})
	if size < 256<<10 {
		t.Fatalf("no ciphertext file of 256 KiB or more under %s (largest %q, %d bytes)", dir, best, size)
	}
	f, err := os.OpenFile(best, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, size/2); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x20
	if _, err := f.WriteAt(b, size/2); err != nil {
		t.Fatal(err)
	}
	return best
}

// TestCLI runs the command as a shell would: put from stdin, get to
// stdout, delete, with the exit status telling success from failure.
func TestCLI(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true})
	bin := filepath.Join(t.TempDir(), "xbcloud")
	if out, err := exec.Command("go", "build", "-o", bin, "envelopegw/testharness/xbcloud/cmd/xbcloud").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	stream, man := genStream(t, 8, 2<<20, 2, false)
	xb := func(stdin []byte, args ...string) ([]byte, error) {
		full := append([]string{args[0], "--storage=s3", "--s3-endpoint=" + g.Endpoint, "--s3-access-key=" + g.AccessKey,
			"--s3-secret-key=" + g.SecretKey, "--s3-bucket=backups", "--parallel=8"}, args[1:]...)
		cmd := exec.Command(bin, full...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		cmd.Stdin = bytes.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			err = fmt.Errorf("%v: %s", err, stderr.Bytes())
		}
		return stdout.Bytes(), err
	}
	if _, err := xb(stream, "put", "cli"); err != nil {
		t.Fatal(err)
	}
	out, err := xb(nil, "get", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if d := man.Diff(extractManifest(t, out)); d != "" {
		t.Error(d)
	}
	if _, err := xb(nil, "delete", "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := xb(nil, "get", "cli"); err == nil {
		t.Error("get after delete exited 0")
	}
	if _, err := xb(nil, "get", "--s3-secret-key=wrong", "cli"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("wrong secret: %v", err)
	}
}

// TestGatewayIngestOnly: a gateway holding only the public key takes
// xbcloud uploads but cannot give them back.
func TestGatewayIngestOnly(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true, IngestOnly: true})
	ctx := context.Background()
	c := gwClient(t, g, false, func(c *xbcloud.Config) { c.Parallel = 4; c.MaxRetries = 1 })
	stream, _ := genStream(t, 11, 1<<20, 2, false)
	if _, err := c.Put(ctx, "ingest", bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err := c.Get(ctx, "ingest", &out)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("get from an ingest-only gateway: %v, want HTTP 403", err)
	}
	if out.Len() != 0 {
		t.Errorf("ingest-only gateway returned %d bytes", out.Len())
	}
}

// TestGatewayV2StorageClassQuirk: xbcloud lowercases x-amz-* header
// values in its SigV2 string to sign, so a V2 upload with
// X-Amz-Storage-Class: STANDARD is signed over "standard". The gateway
// must accept what xbcloud sends.
func TestGatewayV2StorageClassQuirk(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true})
	ctx := context.Background()
	for _, api := range []string{"2", "4"} {
		c := gwClient(t, g, false, func(c *xbcloud.Config) {
			c.APIVersion, c.BucketLookup, c.StorageClass, c.MaxRetries = api, "path", "STANDARD", 0
		})
		stream, man := genStream(t, 12, 1<<20, 1, false)
		if _, err := c.Put(ctx, "sc"+api, bytes.NewReader(stream)); err != nil {
			t.Fatalf("V%s put with X-Amz-Storage-Class: %v", api, err)
		}
		var out bytes.Buffer
		if _, err := c.Get(ctx, "sc"+api, &out); err != nil {
			t.Fatalf("V%s get with X-Amz-Storage-Class: %v", api, err)
		}
		if d := man.Diff(extractManifest(t, out.Bytes())); d != "" {
			t.Error(d)
		}
	}
}

// TestGatewayListingPages: a backup of more than 1000 chunk objects makes
// put's completion check and get's listing page through ListObjects v1.
func TestGatewayListingPages(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true})
	ctx := context.Background()
	c := gwClient(t, g, false, func(c *xbcloud.Config) { c.Parallel = 8 })
	var b bytes.Buffer
	man, err := xbstream.Generate(&b, xbstream.GenOptions{Seed: 13, ChunkSize: 1024, Interleave: 2,
		Files: []xbstream.FileSpec{{Path: "big.ibd", Size: 1200 << 10}, {Path: "xtrabackup_tablespaces", Size: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Put(ctx, "many", bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects <= 1000 {
		t.Fatalf("only %d objects: no second listing page", st.Objects)
	}
	var out bytes.Buffer
	if _, err := c.Get(ctx, "many", &out); err != nil {
		t.Fatal(err)
	}
	if d := man.Diff(extractManifest(t, out.Bytes())); d != "" {
		t.Error(d)
	}
	if n, err := c.Delete(ctx, "many"); err != nil || n != st.Objects {
		t.Errorf("delete: %d, %v; want %d", n, err, st.Objects)
	}
}

// TestGatewayHTTPS: an endpoint without a scheme means HTTPS, as with
// xbcloud; the gateway's certificate is trusted through CACert.
func TestGatewayHTTPS(t *testing.T) {
	g := testharness.Start(t, testharness.Options{NoFsync: true, TLS: true})
	ctx := context.Background()
	c := gwClient(t, g, false, func(c *xbcloud.Config) {
		c.Endpoint, c.CACert, c.Parallel = strings.TrimPrefix(g.Endpoint, "https://"), g.CAFile, 4
	})
	stream, man := genStream(t, 14, 2<<20, 2, false)
	if _, err := c.Put(ctx, "tls", bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := c.Get(ctx, "tls", &out); err != nil {
		t.Fatal(err)
	}
	if d := man.Diff(extractManifest(t, out.Bytes())); d != "" {
		t.Error(d)
	}
	// Without the CA the certificate is refused at once (no retries).
	c = gwClient(t, g, false, func(c *xbcloud.Config) { c.Endpoint = strings.TrimPrefix(g.Endpoint, "https://") })
	if _, err := c.Connect(ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: %v", err)
	}
}
