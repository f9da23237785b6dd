package posix

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
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
		dir, err := os.MkdirTemp("", "posix-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		if benchB, err = New(dir, Options{NoFsync: true}); err != nil {
			b.Fatal(err)
		}
	}
	if benchDone[bucket] {
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
		if bucket == "flat" {
			keys <- fmt.Sprintf("k%07d", i)
		} else {
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
	b.ResetTimer()
	for b.Loop() {
		p, err := be.List(ctx, bucket, o)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(p.Objects) + len(p.CommonPrefixes); n != want {
			b.Fatalf("page of %d entries, want %d", n, want)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(want), "ns/entry")
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
