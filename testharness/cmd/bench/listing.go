package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"envelopegw/backend/posix"
	"envelopegw/envelope"
	"envelopegw/gateway"
	"envelopegw/s3api"
)

// Listing at backup scale (list100k, list1m). The keys are those of a
// backup bucket, backups/2026-12-0D/db1/chunk.NNNNNNN over eight days, so
// each day's directory holds an eighth of the bucket. They are created
// through gateway.Service in this process, on the gateway's own data
// directory with its signing and state keys: real signed records, exactly
// what the running gateway would have written, without HTTP and fsync
// (a million PUTs over HTTP would take most of an hour here). Objects
// are 1 byte. The running gateway then serves, to an aws-sdk-go-v2
// client: the first page with cold kernel caches (drop_caches; when that
// is refused, only the gateway's own caches are cold), a whole
// ListObjectsV2 walk in 1,000-key pages, twice (the second finds what the
// first cached), and a page in the middle. The baseline is what any
// listing that reads one small file per key must do: this process walking
// the bucket's objects tree in order, reading every head file. Last,
// `envelopegw scrub` checks the bucket (every record's signature and
// every stored byte).

// listDays is how many date prefixes the keys spread over.
const listDays = 8

func listKey(i, n int) string {
	per := (n + listDays - 1) / listDays
	return fmt.Sprintf("backups/2026-12-%02d/db1/chunk.%07d", 1+i/per, i%per)
}

// tinyBody is a one-byte request body with its MD5, as s3api hands the
// service a verified body.
type tinyBody struct {
	*bytes.Reader
	sum []byte
}

func (b tinyBody) Sums() s3api.Sums { return s3api.Sums{MD5: b.sum} }

// populate writes n objects into bucket through an in-process
// gateway.Service on gw's data directory.
func populate(ctx context.Context, gw *server, bucketName string, n int) error {
	sd := filepath.Join(gw.data, ".envelopegw")
	skHex, err := os.ReadFile(filepath.Join(sd, "state.key"))
	if err != nil {
		return err
	}
	stateKey, err := hex.DecodeString(strings.TrimSpace(string(skHex)))
	if err != nil {
		return fmt.Errorf("state key: %w", err)
	}
	f, err := os.Open(filepath.Join(sd, "signing.key"))
	if err != nil {
		return err
	}
	signer, err := envelope.ParseSigningKeyFile(f)
	f.Close()
	if err != nil {
		return err
	}
	rb, err := os.ReadFile(gw.recipient)
	if err != nil {
		return err
	}
	rs, err := envelope.ParseRecipients(bytes.NewReader(rb))
	if err != nil {
		return err
	}
	be, err := posix.New(gw.data, posix.Options{NoFsync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer be.Close()
	svc, err := gateway.New(gateway.Config{Backend: be, Recipients: rs, StateKey: stateKey, SigningKey: signer})
	if err != nil {
		return err
	}
	sum := md5.Sum([]byte{'x'})
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				_, err := svc.PutObject(ctx, &s3api.PutObjectInput{
					Bucket: bucketName, Key: listKey(i, n), Size: 1,
					Body: tinyBody{bytes.NewReader([]byte{'x'}), sum[:]},
				})
				if err != nil {
					errs <- fmt.Errorf("populate %s: %w", listKey(i, n), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// sdkClient is an aws-sdk-go-v2 client of srv.
func sdkClient(srv *server) *awss3.Client {
	return awss3.New(awss3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(srv.ak, srv.sk, ""),
		BaseEndpoint: aws.String(srv.endpoint),
		UsePathStyle: true,
	})
}

// listPhase is one timed listing step, with the CPU of whoever did it (the
// gateway; this process for the baseline; scrub's child) and the
// keys it returned.
type listPhase struct {
	what    string
	keys    int
	seconds float64
	cpu     float64
}

func (p listPhase) String() string {
	perKey := ""
	if p.keys > 0 {
		perKey = fmt.Sprintf("%9.0f keys/s  CPU %7.3f s (%5.1f µs/key)", float64(p.keys)/p.seconds, p.cpu, p.cpu/float64(p.keys)*1e6)
	}
	return fmt.Sprintf("%-44s %8d keys %10.1f ms %s", p.what, p.keys, p.seconds*1e3, perKey)
}

// timed runs f, measuring wall time and srv's CPU.
func timed(srv *server, what string, f func() (int, error)) (listPhase, error) {
	p := listPhase{what: what}
	s0, err := sampleProc(srv.pid())
	if err != nil {
		return p, err
	}
	t0 := time.Now()
	p.keys, err = f()
	p.seconds = time.Since(t0).Seconds()
	s1, serr := sampleProc(srv.pid())
	if err == nil {
		err = serr
	}
	p.cpu = s1.cpuSeconds - s0.cpuSeconds
	return p, err
}

// walk pages through the whole bucket with the SDK's paginator.
func walk(ctx context.Context, c *awss3.Client, bucketName string) (int, error) {
	n := 0
	pg := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucketName), MaxKeys: aws.Int32(1000)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(out.Contents)
	}
	return n, nil
}

func page(ctx context.Context, c *awss3.Client, bucketName, after string) (int, error) {
	out, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(bucketName), MaxKeys: aws.Int32(1000), StartAfter: aws.String(after)})
	if err != nil {
		return 0, err
	}
	if len(out.Contents) == 0 || aws.ToString(out.Contents[0].ETag) == "" {
		return 0, fmt.Errorf("page after %q: %d keys, first without an ETag", after, len(out.Contents))
	}
	return len(out.Contents), nil
}

// dropCaches empties the kernel's page, dentry and inode caches; false
// when this process may not.
func dropCaches() bool {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0) == nil
}

// rawWalk is the baseline: the bucket's objects tree walked in order,
// every head file read whole.
func rawWalk(dir string) (int, error) {
	n := 0
	buf := make([]byte, 0, 8<<10)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "o") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = slices.Grow(buf, 4<<10)
			}
			m, err := f.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+m]
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return err
			}
		}
		f.Close()
		n++
		return nil
	})
	return n, err
}

// scrub runs `envelopegw scrub` over the bucket; the CPU is the child's.
func scrub(bin string, gw *server, bucketName string) (listPhase, error) {
	p := listPhase{what: "scrub (envelopegw scrub, signatures + bytes)"}
	cmd := exec.Command(bin, "scrub", "--data", gw.data, "--signer", filepath.Join(gw.data, ".envelopegw", "signing.key.pub"), bucketName)
	cmd.Env = cleanEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	p.seconds = time.Since(t0).Seconds()
	if err != nil {
		return p, fmt.Errorf("scrub: %v\n%s", err, tail(out.String()))
	}
	p.cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return p, nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// listResult is what a listing workload reports.
type listResult struct {
	phases  []listPhase
	walkKps float64 // keys/s of the warm gateway walk
	rawKps  float64 // keys/s of the baseline
	peakRSS int64
}

// runList makes w.list objects in their own bucket and measures listing
// them; the objects stay until the work directory goes.
func runList(ctx context.Context, bin string, gw *server, w workload) (listResult, error) {
	var res listResult
	bucketName := w.name
	c, err := newS3(gw.endpoint, gw.ak, gw.sk, 2)
	if err != nil {
		return res, err
	}
	if err := c.createBucket(ctx, bucketName); err != nil {
		return res, err
	}
	t0 := time.Now()
	if err := populate(ctx, gw, bucketName, w.list); err != nil {
		return res, err
	}
	fmt.Printf("%-9s setup: %d objects of 1 byte in %.1f s (gateway.Service in this process, no fsync)\n", w.name, w.list, time.Since(t0).Seconds())
	time.Sleep(2500 * time.Millisecond) // directories older than the cache's racy window
	if err := resetPeakRSS(gw.pid()); err != nil {
		return res, err
	}
	sdk := sdkClient(gw)
	cold := "first page, cold (drop_caches)"
	if !dropCaches() {
		cold = "first page, cold-process (page cache warm)"
	}
	step := func(what string, f func() (int, error)) error {
		p, err := timed(gw, what, f)
		if err != nil {
			return fmt.Errorf("%s %s: %w", w.name, what, err)
		}
		res.phases = append(res.phases, p)
		fmt.Printf("%-9s %s\n", w.name, p)
		return nil
	}
	mid := listKey(w.list/2, w.list)
	steps := []struct {
		what string
		f    func() (int, error)
	}{
		{cold, func() (int, error) { return page(ctx, sdk, bucketName, "") }},
		{"walk 1 (SDK ListObjectsV2 paginator)", func() (int, error) { return walk(ctx, sdk, bucketName) }},
		{"walk 2 (again: warm)", func() (int, error) { return walk(ctx, sdk, bucketName) }},
		{"page in the middle, warm", func() (int, error) { return page(ctx, sdk, bucketName, mid) }},
		{"page in the middle, warm, again", func() (int, error) { return page(ctx, sdk, bucketName, mid) }},
	}
	for _, s := range steps {
		if err := step(s.what, s.f); err != nil {
			return res, err
		}
	}
	walk2 := res.phases[2]
	res.walkKps = float64(walk2.keys) / walk2.seconds
	st, err := sampleProc(gw.pid())
	if err != nil {
		return res, err
	}
	res.peakRSS = st.hwm
	self0, err := sampleProc(os.Getpid())
	if err != nil {
		return res, err
	}
	t1 := time.Now()
	n, err := rawWalk(filepath.Join(gw.data, "buckets", bucketName, "objects"))
	if err != nil {
		return res, err
	}
	raw := listPhase{what: "baseline: walk the tree, read every head", keys: n, seconds: time.Since(t1).Seconds()}
	self1, err := sampleProc(os.Getpid())
	if err != nil {
		return res, err
	}
	raw.cpu = self1.cpuSeconds - self0.cpuSeconds // this process's
	res.rawKps = float64(n) / raw.seconds
	fmt.Printf("%-9s %s\n", w.name, raw)
	sp, err := scrub(bin, gw, bucketName)
	if err != nil {
		return res, err
	}
	sp.keys = w.list
	res.phases = append(res.phases, sp)
	fmt.Printf("%-9s %s\n", w.name, sp)
	fmt.Printf("%-9s gateway peak RSS %.0f MiB\n", w.name, float64(res.peakRSS)/(1<<20))
	return res, nil
}
