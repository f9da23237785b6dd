// Command bench measures envelopegw's ingest against the machine's
// physical baseline.
//
// It starts two servers on the same volume with the same fsync policy: a
// minimal HTTP sink (this program re-executed in sink mode) that only
// writes request bodies to files, and the real gateway (`envelopegw serve`
// with a recipient, built from this module unless -gateway-bin is given).
// It then drives the same workloads against each, alternating which goes
// first, from clients inside this process:
//
//   - multipart: N clients (8) uploading large objects in 16 MiB parts;
//   - put10: 4 clients doing 10 MiB single PUTs with a real payload SHA-256
//     and Content-MD5, the way xbcloud uploads xbstream chunks; put10-16
//     the same at 16 clients, put10u unsigned (the price of the hash);
//   - put64: 64 MiB single PUTs at 8 clients;
//   - small1k, small16k, small64k: 1, 16 and 64 KiB PUTs at 16 clients,
//     reported in objects/s and server CPU-seconds per 1,000 objects;
//   - get64: 64 MiB GETs at 8 clients (objects uploaded before the run);
//   - scale1, scale4, scale16, scale64: put10 at 1, 4, 16 and 64 clients;
//   - list100k, list1m: listing 100,000 and 1,000,000 keys under date
//     prefixes through an SDK client, against a walk that reads every
//     head file, and scrubbing them (gateway only, after the others; the
//     keys are made in this process, see listing.go).
//
// -workload NAME[,NAME...] runs only those.
//
// For every run it prints throughput, the server's CPU-seconds per GiB
// (utime+stime from /proc/PID/stat), its peak RSS during the run (VmHWM
// from /proc/PID/status after resetting it through clear_refs), and its
// I/O from /proc/PID/io: write_bytes and read_bytes (what reached the block
// layer; the page cache hides re-reads of fresh data from read_bytes) and
// rchar minus the request bytes received (reads through any syscall,
// sockets included, so the difference is what the server read back from
// files). The last line is `ratio gateway/baseline = X.XX`, the multipart
// throughput of the gateway over the sink's.
//
// -upstream measures the upstream-S3 backend instead (upstream.go): a
// MinIO server (erasure-coded, four drives under the work directory) is
// the baseline, driven directly with the same clients, and the gateway
// runs with --upstream on a bucket of that MinIO; it adds the bytes the
// gateway wrote to its sockets and the bytes MinIO stores, both per
// plaintext byte.
//
// -rss runs the memory test instead: 16 concurrent 1 GiB multipart
// uploads against the gateway, reporting its peak RSS (target ≤ 256 MiB).
//
// Data is a ChaCha8 buffer made once and sliced at varying offsets, and the
// single-PUT digests are computed once, so the client costs little CPU;
// the default sizes finish in about two minutes on a 2-core machine.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

const bucket = "bench"

func mib(n int64) string {
	if n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

func main() {
	var (
		sinkMode   = flag.Bool("sink-mode", false, "internal: run as the baseline sink")
		sinkListen = flag.String("sink-listen", "", "internal: sink address")
		sinkDir    = flag.String("sink-dir", "", "internal: sink directory")

		clients   = flag.Int("clients", 8, "uploads in flight")
		rounds    = flag.Int("rounds", 2, "rounds; each runs every workload against both servers")
		mpObjects = flag.Int("mp-objects", 16, "multipart objects per run")
		mpSize    = flag.Int64("mp-size-mib", 128, "multipart object size, MiB")
		partSize  = flag.Int64("part-mib", 16, "multipart part size, MiB")
		putCount  = flag.Int("put-objects", 96, "single PUTs per run")
		putSize   = flag.Int64("put-mib", 10, "single PUT size, MiB")
		dir       = flag.String("dir", "", "directory on the volume to measure (default: a new directory under $TMPDIR)")
		fsync     = flag.Bool("fsync", true, "fsync policy for both servers (false: the gateway gets --no-fsync)")
		gwBin     = flag.String("gateway-bin", "", "envelopegw binary (default: go build envelopegw/cmd/envelopegw)")
		gwArgs    = flag.String("gateway-args", "", "extra arguments for envelopegw serve, space-separated")
		rss       = flag.Bool("rss", false, "run the memory test: -rss-uploads concurrent uploads of -rss-size-mib")
		rssUp     = flag.Int("rss-uploads", 16, "concurrent uploads in the memory test")
		rssSize   = flag.Int64("rss-size-mib", 1024, "object size in the memory test, MiB")
		rssPart   = flag.Int64("rss-part-mib", 64, "part size in the memory test, MiB")
		keep      = flag.Bool("keep", false, "keep the work directory (logs)")
		only      = flag.String("workload", "", "run only these workloads (comma-separated names; default all)")
		small     = flag.Int("small-objects", 2000, "objects per run of each small-object workload")
		listScale = flag.Float64("list-scale", 1, "scale the listing workloads' key counts (0.01: a quick check)")
		upstream  = flag.Bool("upstream", false, "measure the upstream-S3 backend: clients → MinIO against clients → envelopegw → MinIO (default workloads multipart,put10)")
	)
	flag.Parse()
	if *sinkMode {
		if err := runSink(*sinkListen, *sinkDir, *fsync); err != nil {
			fmt.Fprintln(os.Stderr, "sink:", err)
			os.Exit(1)
		}
		return
	}
	if err := bench(benchConfig{*clients, *rounds, *mpObjects, *mpSize << 20, *partSize << 20, *putCount, *putSize << 20,
		*dir, *fsync, *gwBin, strings.Fields(*gwArgs), *rss, *rssUp, *rssSize << 20, *rssPart << 20, *keep, *only, *small, *listScale, *upstream}); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type benchConfig struct {
	clients, rounds, mpObjects int
	mpSize, partSize           int64
	putCount                   int
	putSize                    int64
	dir                        string
	fsync                      bool
	gwBin                      string
	gwArgs                     []string
	rss                        bool
	rssUploads                 int
	rssSize, rssPart           int64
	keep                       bool
	only                       string
	smallCount                 int
	listScale                  float64
	upstream                   bool
}

func bench(cfg benchConfig) error {
	base := cfg.dir
	if base == "" {
		base = os.TempDir()
	}
	work, err := os.MkdirTemp(base, "envelopegw-bench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Printf("work directory: %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	fmt.Printf("machine: %d CPUs, %s, %s, %s/%s; volume %s; fsync %v\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, work, cfg.fsync)

	bin := cfg.gwBin
	if bin == "" {
		if bin, err = buildGateway(work); err != nil {
			return err
		}
	}
	only := cfg.only
	if cfg.upstream && only == "" {
		only = "multipart,put10"
	}
	wls, err := pick(workloads(cfg), only)
	if err != nil {
		return err
	}
	readable := false
	for _, w := range wls {
		readable = readable || w.get
	}
	if cfg.upstream {
		return benchUpstream(work, bin, wls, cfg)
	}
	gw, err := startGateway(bin, work, nil, cfg.fsync, readable, cfg.gwArgs)
	if err != nil {
		return err
	}
	defer gw.stop()
	ctx := context.Background()

	if cfg.rss {
		return rssTest(ctx, gw, cfg)
	}

	sk, err := startSink(work, cfg.fsync)
	if err != nil {
		return err
	}
	defer sk.stop()
	for _, s := range []*server{sk, gw} {
		c, _ := newS3(s.endpoint, s.ak, s.sk, 1)
		if err := c.createBucket(ctx, bucket); err != nil {
			return fmt.Errorf("create bucket on %s: %w\n%s", s.name, err, logTail(s.log))
		}
	}
	for _, w := range wls {
		fmt.Println("workload", w)
	}
	d := newData(cfg.partSize, putSizes(wls)...)
	fmt.Printf("%-5s %-8s %-9s %7s %6s %7s %9s %8s %8s %11s %10s %9s %8s %9s\n",
		"round", "server", "workload", "MiB", "s", "MiB/s", "CPU s/GiB", "peakRSS", "write/in", "read_bytes", "file reads", "client s/GiB", "obj/s", "CPU s/1k")
	all := map[string][]result{}
	var lists []workload
	wls = slices.DeleteFunc(wls, func(w workload) bool {
		if w.list > 0 {
			lists = append(lists, w)
		}
		return w.list > 0
	})
	for r := 1; r <= cfg.rounds; r++ {
		for _, w := range wls {
			order := []*server{sk, gw}
			if r%2 == 0 {
				order = []*server{gw, sk}
			}
			for _, s := range order {
				res, err := run(ctx, s, w, d, r)
				if err != nil {
					return fmt.Errorf("%w\n%s", err, logTail(s.log))
				}
				printResult(r, res)
				all[s.name+"/"+w.name] = append(all[s.name+"/"+w.name], res)
			}
		}
	}
	listed := map[string]listResult{}
	for _, w := range lists {
		lr, err := runList(ctx, bin, gw, w)
		if err != nil {
			return fmt.Errorf("%w\n%s", err, logTail(gw.log))
		}
		listed[w.name] = lr
	}
	fmt.Println("totals over all rounds:")
	mp := false
	for _, w := range wls {
		for _, s := range []string{"sink", "gateway"} {
			rs := all[s+"/"+w.name]
			if w.small() {
				fmt.Printf("  %-9s %-8s %8.0f objects/s %6.2f CPU s/1k objects  peak RSS %s\n", w.name, s,
					objps(rs), cpuPer1k(rs), peak(rs))
				continue
			}
			fmt.Printf("  %-9s %-8s %8.1f MiB/s %6.2f CPU s/GiB  peak RSS %s\n", w.name, s,
				mibps(rs), cpuPerGiB(rs), peak(rs))
		}
	}
	for _, w := range lists {
		fmt.Printf("ratio gateway/baseline (%s) = %.2f\n", w.name, listed[w.name].walkKps/listed[w.name].rawKps)
	}
	for _, w := range wls {
		if w.name == "multipart" {
			mp = true
			continue
		}
		fmt.Printf("ratio gateway/baseline (%s) = %.2f\n", w.name, mibps(all["gateway/"+w.name])/mibps(all["sink/"+w.name]))
	}
	if mp {
		fmt.Printf("ratio gateway/baseline = %.2f\n", mibps(all["gateway/multipart"])/mibps(all["sink/multipart"]))
	}
	return nil
}

func printResult(round int, r result) {
	in := float64(r.bytes)
	fileReads := (r.after.rchar - r.before.rchar) - r.bytes
	if r.get {
		fileReads = r.after.rchar - r.before.rchar // a GET reads files, not bodies
	}
	objs := float64(r.objects)
	fmt.Printf("%-5d %-8s %-9s %7.0f %6.2f %7.1f %9.2f %8s %8.4f %11s %10s %9.2f %8.0f %9.3f\n",
		round, r.server, r.workload, in/(1<<20), r.seconds, r.mibps(), r.cpuPerGiB(),
		fmt.Sprintf("%.0fMiB", float64(r.after.hwm)/(1<<20)),
		float64(r.after.writeBytes-r.before.writeBytes)/in,
		fmt.Sprintf("%.1fMiB", float64(r.after.readBytes-r.before.readBytes)/(1<<20)),
		fmt.Sprintf("%.1fMiB", float64(fileReads)/(1<<20)),
		r.clientCPU/(in/(1<<30)), objs/r.seconds, (r.after.cpuSeconds-r.before.cpuSeconds)/objs*1000)
}

func mibps(rs []result) float64 {
	var b, s float64
	for _, r := range rs {
		b += float64(r.bytes)
		s += r.seconds
	}
	return b / (1 << 20) / s
}

func objps(rs []result) float64 {
	var n, s float64
	for _, r := range rs {
		n += float64(r.objects)
		s += r.seconds
	}
	return n / s
}

func cpuPer1k(rs []result) float64 {
	var n, c float64
	for _, r := range rs {
		n += float64(r.objects)
		c += r.after.cpuSeconds - r.before.cpuSeconds
	}
	return c / n * 1000
}

func cpuPerGiB(rs []result) float64 {
	var b, c float64
	for _, r := range rs {
		b += float64(r.bytes)
		c += r.after.cpuSeconds - r.before.cpuSeconds
	}
	return c / (b / (1 << 30))
}

func peak(rs []result) string {
	var m int64
	for _, r := range rs {
		m = max(m, r.after.hwm)
	}
	return fmt.Sprintf("%.0f MiB", float64(m)/(1<<20))
}

func rssTest(ctx context.Context, gw *server, cfg benchConfig) error {
	c, _ := newS3(gw.endpoint, gw.ak, gw.sk, 1)
	if err := c.createBucket(ctx, bucket); err != nil {
		return fmt.Errorf("create bucket: %w\n%s", err, logTail(gw.log))
	}
	w := workload{name: "rss", clients: cfg.rssUploads, objects: cfg.rssUploads, objSize: cfg.rssSize, partSize: cfg.rssPart}
	fmt.Println("workload", w)
	d := newData(cfg.rssPart)
	res, err := run(ctx, gw, w, d, 1)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, logTail(gw.log))
	}
	printResult(1, res)
	p := float64(res.after.hwm) / (1 << 20)
	verdict := "met"
	if p > 256 {
		verdict = fmt.Sprintf("missed by %.0f MiB", p-256)
	}
	fmt.Printf("peak RSS = %.0f MiB with %d concurrent %s uploads (target ≤ 256 MiB: %s)\n", p, cfg.rssUploads, mib(cfg.rssSize), verdict)
	return nil
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func logTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return fmt.Sprintf("--- %s:\n%s", filepath.Base(path), b)
}
