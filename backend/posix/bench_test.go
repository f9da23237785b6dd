package posix

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"envelopegw/backend"
)

// benchObjects is the size of each benchmark bucket; BENCH_OBJECTS
// overrides it (e.g. 1000000).
var benchObjects = 100000

func init() {
	if s := os.Getenv("BENCH_OBJECTS"); s != "" {
		fmt.Sscan(s, &benchObjects)
	}
	if s := os.Getenv("BENCH_LISTWORKERS"); s != "" {
		fmt.Sscan(s, &listWorkers)
	}
}

var (
	benchMu   sync.Mutex
	benchB    *Backend
	benchDir  string
	benchDone = map[string]bool{}
)

// benchStore returns a store holding bucket, built once per process with
// benchObjects objects: "flat" holds keys k000000... in one directory,
// "tree" holds d000/k0000... in directories of 1000. To build a million
// objects in reasonable time it writes the head files directly (List reads
// nothing else); BenchmarkPut measures commits.
func benchStore(b *testing.B, bucket string) *Backend {
	benchMu.Lock()
	defer benchMu.Unlock()
	if benchB == nil {
		dir, err := benchStoreDir()
		if err != nil {
			b.Fatal(err)
		}
		o := Options{NoFsync: true}
		if os.Getenv("BENCH_NOHEADS") != "" {
			o.ListCacheBytes = -1 // directory cache only, as before the head cache
		}
		if benchB, err = New(dir, o); err != nil {
			b.Fatal(err)
		}
	}
	if benchDone[bucket] {
		return benchB
	}
	// A kept store (BENCH_DIR) already holds a bucket its marker names.
	marker := filepath.Join(benchB.root, fmt.Sprintf("bench-%s-%d", bucket, benchObjects))
	if _, err := os.Stat(marker); err == nil {
		benchDone[bucket] = true
		return benchB
	}
	if err := benchB.CreateBucket(ctx, bucket); err != nil {
		b.Fatal(err)
	}
	keys := make(chan string)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				if err := writeBenchHead(benchB, bucket, k); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < benchObjects; i++ {
		switch bucket {
		case "flat":
			keys <- fmt.Sprintf("k%07d", i)
		case "dates":
			keys <- dateKey(i)
		default:
			keys <- fmt.Sprintf("d%04d/k%04d", i/1000, i%1000)
		}
	}
	close(keys)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	// Age the directories as on a store not being written this very
	// second, so that the directory cache may keep them.
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(benchB.bucketDir(bucket), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	time.Sleep(racyWindow) // ctime moved with Chtimes
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	benchDone[bucket] = true
	return benchB
}

func writeBenchHead(b *Backend, bucket, key string) error {
	r := &record{Kind: kindHead, Key: key, Time: time.Now(),
		Extents: []extent{{ID: newID(), Size: 16}},
		Meta:    backend.Meta{"etag": "d41d8cd98f00b204e9800998ecf8427e"}}
	p := b.headPath(bucket, key)
	if _, err := b.mkdirBelow(b.objectsDir(bucket), filepath.Dir(p)); err != nil {
		return err
	}
	return os.WriteFile(p, r.marshal(), 0o600)
}

// benchStoreDir is BENCH_DIR, kept after the run so the next one skips
// the setup (a million keys take a while), or else a temporary directory
// removed at the end.
func benchStoreDir() (string, error) {
	if d := os.Getenv("BENCH_DIR"); d != "" {
		return d, os.MkdirAll(d, 0o700)
	}
	d, err := os.MkdirTemp("", "posix-bench-")
	benchDir = d
	return d, err
}

func cleanupBench() {
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
}

func benchList(b *testing.B, bucket string, o backend.ListOptions, want int) {
	be := benchStore(b, bucket)
	if os.Getenv("BENCH_NOCACHE") != "" {
		nc := *be
		nc.dirs = nil
		be = &nc
	}
	// BENCH_COLD=1: empty kernel caches and directory cache each
	// iteration, as in BenchmarkListDates ("flat" is one directory of
	// benchObjects entries).
	cold := os.Getenv("BENCH_COLD") != ""
	var cpu time.Duration
	var disk int64
	b.ResetTimer()
	for b.Loop() {
		l := be
		if cold {
			dropCaches(b)
			l = uncached(be)
		}
		c0, d0 := processCPU(), diskRead()
		p, err := l.List(ctx, bucket, o)
		cpu += processCPU() - c0
		disk += diskRead() - d0
		if err != nil {
			b.Fatal(err)
		}
		if n := len(p.Objects) + len(p.CommonPrefixes); n != want {
			b.Fatalf("page of %d entries, want %d", n, want)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(want), "ns/entry")
	b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(disk)/1024/float64(b.N), "disk-KiB/op")
}

func BenchmarkList(b *testing.B) {
	mid := fmt.Sprintf("k%07d", benchObjects/2)
	midTree := fmt.Sprintf("d%04d/k0500", benchObjects/2000)
	b.Run("flat/first-page", func(b *testing.B) { benchList(b, "flat", backend.ListOptions{}, 1000) })
	b.Run("flat/middle-page", func(b *testing.B) { benchList(b, "flat", backend.ListOptions{After: mid}, 1000) })
	b.Run("flat/prefix-100", func(b *testing.B) { benchList(b, "flat", backend.ListOptions{Prefix: mid[:6]}, 100) })
	b.Run("flat/page-of-10", func(b *testing.B) { benchList(b, "flat", backend.ListOptions{After: mid, MaxKeys: 10}, 10) })
	b.Run("tree/first-page", func(b *testing.B) { benchList(b, "tree", backend.ListOptions{}, 1000) })
	b.Run("tree/middle-page", func(b *testing.B) { benchList(b, "tree", backend.ListOptions{After: midTree}, 1000) })
	b.Run("tree/delimiter-top", func(b *testing.B) {
		benchList(b, "tree", backend.ListOptions{Delimiter: "/"}, min(1000, benchObjects/1000))
	})
	b.Run("tree/prefix-dir", func(b *testing.B) {
		benchList(b, "tree", backend.ListOptions{Prefix: midTree[:6], Delimiter: "/"}, 1000)
	})
	b.Run("tree/page-of-10", func(b *testing.B) { benchList(b, "tree", backend.ListOptions{After: midTree, MaxKeys: 10}, 10) })
}

// BenchmarkListAll pages through a whole bucket, 1000 keys a page.
func BenchmarkListAll(b *testing.B) {
	for _, bucket := range []string{"flat", "tree"} {
		b.Run(bucket, func(b *testing.B) {
			be := benchStore(b, bucket)
			b.ResetTimer()
			for b.Loop() {
				o := backend.ListOptions{}
				n := 0
				for {
					p, err := be.List(ctx, bucket, o)
					if err != nil {
						b.Fatal(err)
					}
					n += len(p.Objects)
					if !p.IsTruncated {
						break
					}
					o.After = p.NextAfter
				}
				if n != benchObjects {
					b.Fatalf("listed %d objects, want %d", n, benchObjects)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(benchObjects), "ns/object")
		})
	}
}

// BenchmarkPut measures small object commits, with and without fsync.
func BenchmarkPut(b *testing.B) {
	for _, nofsync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nofsync=%v", nofsync), func(b *testing.B) {
			be := newTestBackend(b, Options{NoFsync: nofsync})
			mustCreateBucket(b, be, "bkt")
			data := make([]byte, 4096)
			i := 0
			for b.Loop() {
				mustPut(b, be, "bkt", fmt.Sprintf("dir/k%d", i%1000), data, nil)
				i++
			}
		})
	}
}

// dateKey is key i of a backup bucket: 1,000 chunks a day under date
// prefixes, as xbcloud-style backups lay them out.
func dateKey(i int) string {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/1000)
	return fmt.Sprintf("%s/db1/full/chunk.%06d", day.Format("2006/01/02"), i%1000)
}

// dropCaches empties the page, dentry and inode caches (root only) so the
// next listing reads from the disk; BENCH_COLD=1 asks for it.
func dropCaches(b *testing.B) {
	b.StopTimer()
	defer b.StartTimer()
	unixSync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
		b.Skipf("cold cache needs root: %v", err)
	}
}

// uncached is be with an empty directory cache: cold for the process as
// drop_caches makes it cold for the kernel, as after a restart or a change
// to the directories listed. Without it every iteration after the first
// would take the directories and heads from the cache, and only its stats
// would reach the disk.
func uncached(be *Backend) *Backend {
	c := *be
	if be.dirs != nil {
		c.dirs = newDirCache(be.dirs.max, be.dirs.maxHeadBytes)
	}
	return &c
}

// BenchmarkListDates lists a backup bucket (benchObjects keys under date
// prefixes, created through the backend's record writer): a first page, a
// page in the middle, a day's page under its prefix, and a whole walk in
// 1,000-key pages (ns/object). With BENCH_COLD=1 every iteration starts
// with empty kernel caches and an empty directory cache.
func BenchmarkListDates(b *testing.B) {
	cold := os.Getenv("BENCH_COLD") != ""
	mid := dateKey(benchObjects / 2)
	page := func(o backend.ListOptions, want int) func(b *testing.B) {
		return func(b *testing.B) {
			be := benchStore(b, "dates")
			b.ResetTimer()
			var cpu time.Duration
			var disk int64
			defer func() {
				b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(disk)/1024/float64(b.N), "disk-KiB/op")
			}()
			for b.Loop() {
				l := be
				if cold {
					dropCaches(b)
					l = uncached(be)
				}
				c0, d0 := processCPU(), diskRead()
				p, err := l.List(ctx, "dates", o)
				cpu += processCPU() - c0
				disk += diskRead() - d0
				if err != nil {
					b.Fatal(err)
				}
				if n := len(p.Objects) + len(p.CommonPrefixes); n != want {
					b.Fatalf("page of %d entries, want %d", n, want)
				}
			}
		}
	}
	b.Run("first-page", page(backend.ListOptions{}, 1000))
	b.Run("middle-page", page(backend.ListOptions{After: mid}, 1000))
	b.Run("day-prefix", page(backend.ListOptions{Prefix: mid[:11]}, 1000))
	b.Run("walk", func(b *testing.B) {
		be := benchStore(b, "dates")
		b.ResetTimer()
		var cpu time.Duration
		defer func() { b.ReportMetric(cpu.Seconds()*1e9/float64(b.N)/float64(benchObjects), "cpu-ns/object") }()
		for b.Loop() {
			l := be
			if cold {
				dropCaches(b)
				l = uncached(be)
			}
			c0 := processCPU()
			o, n := backend.ListOptions{}, 0
			for {
				p, err := l.List(ctx, "dates", o)
				if err != nil {
					b.Fatal(err)
				}
				n += len(p.Objects)
				if !p.IsTruncated {
					break
				}
				o.After = p.NextAfter
			}
			cpu += processCPU() - c0
			if n != benchObjects {
				b.Fatalf("listed %d objects, want %d", n, benchObjects)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(benchObjects), "ns/object")
	})
}

func unixSync() { syscall.Sync() }

// diskRead is the bytes this process has had read from the block layer
// (read_bytes of /proc/self/io), or 0 where that is not available.
func diskRead() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "read_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// processCPU is the user and system time of every thread of the process:
// on a loaded machine a steadier measure than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
