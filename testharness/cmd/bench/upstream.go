package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"envelopegw/backend/s3/s3test"
)

// upstream is the S3 service the gateway stores its ciphertext on.
type upstream struct {
	url    string // http://host:port/bucket, for --upstream
	ak, sk string
}

// The bucket the gateway stores into; the baseline writes into bucket.
const upstreamBucket = "upstream"

// startMinIO runs MinIO erasure-coded on four drives under work and waits
// until it serves requests.
func startMinIO(work string) (*server, *minio.Client, error) {
	bin, err := s3test.Find("minio")
	if err != nil {
		return nil, nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	console, err := freeAddr()
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(work, "minio")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	args, env := s3test.MinIOCommand(bin, addr, console, dir)
	s, err := start("minio", addr, filepath.Join(work, "minio.log"), args, cleanEnv(env...))
	if err != nil {
		return nil, nil, err
	}
	s.ak, s.sk = "minioadmin", "minioadmin"
	mc, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(s.ak, s.sk, ""), Region: "us-east-1"})
	if err != nil {
		s.stop()
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, b := range []string{bucket, upstreamBucket} {
		for {
			err := mc.MakeBucket(ctx, b, minio.MakeBucketOptions{Region: "us-east-1"})
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				s.stop()
				return nil, nil, fmt.Errorf("MinIO did not come up: %w\n%s", err, logTail(s.log))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return s, mc, nil
}

// bucketSize sums the sizes of the objects in b.
func bucketSize(mc *minio.Client, b string) func(context.Context) (int64, error) {
	return func(ctx context.Context) (int64, error) {
		var n int64
		for o := range mc.ListObjects(ctx, b, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				return 0, o.Err
			}
			n += o.Size
		}
		return n, nil
	}
}

// benchUpstream compares clients → MinIO (the baseline, plaintext) with
// clients → envelopegw → MinIO, on one MinIO, alternating the order per
// round like the POSIX benchmark.
func benchUpstream(work, bin string, wls []workload, cfg benchConfig) error {
	mio, mc, err := startMinIO(work)
	if err != nil {
		return err
	}
	defer mio.stop()
	mio.stored = bucketSize(mc, bucket)
	up := &upstream{url: mio.endpoint + "/" + upstreamBucket, ak: mio.ak, sk: mio.sk}
	gw, err := startGateway(bin, work, up, cfg.fsync, false, cfg.gwArgs)
	if err != nil {
		return err
	}
	defer gw.stop()
	gw.stored = bucketSize(mc, upstreamBucket)
	ctx := context.Background()
	c, _ := newS3(gw.endpoint, gw.ak, gw.sk, 1)
	if err := c.createBucket(ctx, bucket); err != nil {
		return fmt.Errorf("create bucket on the gateway: %w\n%s", err, logTail(gw.log))
	}
	for _, w := range wls {
		fmt.Println("workload", w)
	}
	d := newData(cfg.partSize, putSizes(wls)...)
	fmt.Printf("%-5s %-8s %-9s %7s %6s %7s %9s %8s %8s %9s\n",
		"round", "server", "workload", "MiB", "s", "MiB/s", "CPU s/GiB", "peakRSS", "sent/in", "stored/in")
	all := map[string][]result{}
	for r := 1; r <= cfg.rounds; r++ {
		for _, w := range wls {
			order := []*server{mio, gw}
			if r%2 == 0 {
				order = []*server{gw, mio}
			}
			for _, s := range order {
				res, err := run(ctx, s, w, d, r)
				if err != nil {
					return fmt.Errorf("%w\n%s", err, logTail(s.log))
				}
				fmt.Printf("%-5d %-8s %-9s %7.0f %6.2f %7.1f %9.2f %8s %8.4f %9.4f\n",
					r, res.server, res.workload, float64(res.bytes)/(1<<20), res.seconds, res.mibps(), res.cpuPerGiB(),
					fmt.Sprintf("%.0fMiB", float64(res.after.hwm)/(1<<20)), sentPerIn([]result{res}), storedPerIn([]result{res}))
				all[s.name+"/"+w.name] = append(all[s.name+"/"+w.name], res)
			}
		}
	}
	return upstreamTotals(wls, all)
}

// upstreamTotals prints each workload's totals against the issue's
// targets; the last line is the multipart ratio, as in the POSIX run.
func upstreamTotals(wls []workload, all map[string][]result) error {
	fmt.Println("totals over all rounds (targets: ratio ≥ 0.80, gateway peak RSS ≤ 256 MiB, stored/in ≤ 1.002):")
	var last string
	for _, w := range wls {
		base, gw := all["minio/"+w.name], all["gateway/"+w.name]
		fmt.Printf("  %-9s minio    %8.1f MiB/s %6.2f CPU s/GiB (MinIO)    peak RSS %s  stored/in %.4f\n", w.name,
			mibps(base), cpuPerGiB(base), peak(base), storedPerIn(base))
		fmt.Printf("  %-9s gateway  %8.1f MiB/s %6.2f CPU s/GiB (gateway)  peak RSS %s  sent/in %.4f  stored/in %.4f\n", w.name,
			mibps(gw), cpuPerGiB(gw), peak(gw), sentPerIn(gw), storedPerIn(gw))
		line := fmt.Sprintf("ratio gateway/baseline (%s) = %.2f", w.name, mibps(gw)/mibps(base))
		if w.name == "multipart" {
			last = strings.Replace(line, " (multipart)", "", 1)
			continue
		}
		fmt.Println(line)
	}
	if last != "" {
		fmt.Println(last)
	}
	return nil
}

// sentPerIn is what the server wrote to any descriptor (wchar: its
// upstream connections, its small answers, its log) per plaintext byte.
func sentPerIn(rs []result) float64 {
	var in, out float64
	for _, r := range rs {
		in += float64(r.bytes)
		out += float64(r.after.wchar - r.before.wchar)
	}
	return out / in
}

// storedPerIn is the growth of the store per plaintext byte.
func storedPerIn(rs []result) float64 {
	var in, st float64
	for _, r := range rs {
		in += float64(r.bytes)
		st += float64(r.stored)
	}
	return st / in
}
