package envelope

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkColdRead reads an object that is not in the page cache, as a
// GET of a large object does after the cache has moved on: the serial
// range reader (the gateway's) over one file ("get", a single PUT's
// object) and over one file per 16 MiB part ("get-parts", a multipart
// object), against read(2) of the same file in 128 KiB reads ("cat")
// and sendfile(2) of it to /dev/null ("sendfile", the bench's sink).
// Each iteration drops the page cache first (root only; set BENCH_COLD=1
// to run it). Besides MB/s it reports disk-busy, the share of the wall
// time the object's block device had requests in flight
// (/sys/dev/block/M:m/stat io_ticks): a reader whose disk idles while it
// verifies segments shows less than cat does. BENCH_COLD_MIB sets the
// object's size (default 1024).
func BenchmarkColdRead(b *testing.B) {
	if os.Getenv("BENCH_COLD") == "" {
		b.Skip("BENCH_COLD=1 (as root) drops the page cache before each read")
	}
	size := int64(1024) << 20
	if s, err := strconv.Atoi(os.Getenv("BENCH_COLD_MIB")); err == nil && s > 0 {
		size = int64(s) << 20
	}
	_, k := benchKey(b)
	dir := b.TempDir()
	one := coldObject(b, k, dir, "one", size, 1)
	parts := coldObject(b, k, dir, "parts", size, int(size/(16<<20)))
	stat := diskStatPath(b, dir)
	cat := func() {
		f, err := os.Open(one.files[0].Name())
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 128<<10)
		for {
			if _, err := f.Read(buf); err == io.EOF {
				return
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	// sendfile is what the bench's sink answers a GET with: the file's
	// pages straight to the socket (here /dev/null), no copy to user
	// space.
	sendfile := func() {
		f, err := os.Open(one.files[0].Name())
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer null.Close()
		for {
			n, err := unix.Sendfile(int(null.Fd()), int(f.Fd()), nil, 8<<20)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
	}
	get := func(o coldObj) func() {
		return func() {
			r, err := k.NewRangeReader(io.NewSectionReader(o.body, 0, o.size), o.t, 0, o.t.Size())
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != size {
				b.Fatal(n, err)
			}
			r.Close()
		}
	}
	for _, c := range []struct {
		name string
		read func()
	}{{"cat", cat}, {"sendfile", sendfile}, {"get", get(one)}, {"get-parts", get(parts)}} {
		b.Run(c.name, func(b *testing.B) {
			var wall, busy, cpu time.Duration
			var reqs, sectors int64
			b.SetBytes(size)
			for b.Loop() {
				b.StopTimer()
				dropCaches(b)
				b.StartTimer()
				t0, c0, d0 := time.Now(), processCPU(), readDiskStat(b, stat)
				c.read()
				wall += time.Since(t0)
				cpu += processCPU() - c0
				d1 := readDiskStat(b, stat)
				busy += d1.busy - d0.busy
				reqs += d1.reads - d0.reads
				sectors += d1.sectors - d0.sectors
			}
			b.ReportMetric(busy.Seconds()/wall.Seconds(), "disk-busy")
			b.ReportMetric(float64(sectors)/2/float64(max(1, reqs)), "KiB/req")
			b.ReportMetric(cpu.Seconds()/float64(b.N)/(float64(size)/(1<<30)), "cpu-s/GiB")
		})
	}
}

type coldObj struct {
	t     *Table
	body  extentFiles
	files []*os.File
	size  int64
}

// coldObject writes a size-byte object of n parts, one file each.
func coldObject(b *testing.B, k *Key, dir, name string, size int64, n int) coldObj {
	o := coldObj{body: extentFiles{mapped: new(int), reads: new(int)}}
	src := make([]byte, 1<<20)
	var infos []PartInfo
	for p := 1; p <= n; p++ {
		f, err := os.Create(fmt.Sprintf("%s/%s.%d", dir, name, p))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		pw, _ := k.NewPartWriter(f, p)
		for w := int64(0); w < size/int64(n); w += int64(len(src)) {
			pw.Write(src)
		}
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
		infos = append(infos, pw.Info())
		o.size += pw.Info().StoredSize(k.segmentSize)
		o.files = append(o.files, f)
		o.body.files, o.body.offs, o.body.ends = append(o.body.files, f), append(o.body.offs, 0), append(o.body.ends, o.size)
	}
	tb, _ := k.SealTable(infos)
	t, err := k.OpenTable(tb)
	if err != nil {
		b.Fatal(err)
	}
	o.t = t
	return o
}

func dropCaches(b *testing.B) {
	unix.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
		b.Fatalf("dropping the page cache needs root: %v", err)
	}
}

// diskStatPath is the stat file of the block device that holds dir.
func diskStatPath(b *testing.B, dir string) string {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		b.Fatal(err)
	}
	return fmt.Sprintf("/sys/dev/block/%d:%d/stat", unix.Major(st.Dev), unix.Minor(st.Dev))
}

// diskStat is what a block device's stat file says of reads: requests
// completed, sectors (512 bytes) read, and the time it had requests in
// flight (io_ticks).
type diskStat struct {
	reads, sectors int64
	busy           time.Duration
}

func readDiskStat(b *testing.B, path string) diskStat {
	s, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(s))
	if len(f) < 10 {
		b.Fatalf("%s: %q", path, s)
	}
	var v [10]int64
	for i := range v {
		var err error
		if v[i], err = strconv.ParseInt(f[i], 10, 64); err != nil {
			b.Fatal(err)
		}
	}
	return diskStat{reads: v[0], sectors: v[2], busy: time.Duration(v[9]) * time.Millisecond}
}
