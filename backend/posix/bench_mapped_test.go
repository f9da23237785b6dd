package posix

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkMapWritten is what a GET pays, besides decryption, to read a
// 64 MiB object that is still in the page cache from its PUT: map its
// data file in 8 MiB windows, as envelope's reader does, touch every
// page and unmap. The object is written through the backend's writer in
// the part writer's batches (1 MiB + 256 bytes), so the page cache holds
// the folios those writes made; cpu-ms/GiB is the process's CPU per GiB
// mapped.
func BenchmarkMapWritten(b *testing.B) {
	be := newTestBackend(b, Options{})
	mustCreateBucket(b, be, "bkt")
	w, err := be.NewObject(ctx, "bkt", "obj")
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]byte, 16*(64<<10+16))
	const size = 64 << 20
	for n := 0; n < size; n += len(batch) {
		if _, err := w.Write(batch[:min(len(batch), size-n)]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Commit(nil); err != nil {
		b.Fatal(err)
	}
	o, err := be.Open(ctx, "bkt", "obj")
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	f, off, ok := o.(*object).DataFile()
	if !ok {
		b.Fatal("no data file")
	}
	var sum byte
	var cpu time.Duration
	b.SetBytes(size)
	for b.Loop() {
		c0 := processCPU()
		for w := off &^ 4095; w < off+size; w += 8 << 20 {
			m, err := unix.Mmap(int(f.Fd()), w, int(min(8<<20, off+size-w)), unix.PROT_READ, unix.MAP_SHARED)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(m); i += os.Getpagesize() {
				sum += m[i]
			}
			unix.Munmap(m)
		}
		cpu += processCPU() - c0
	}
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N)/(float64(size)/(1<<30)), "cpu-ms/GiB")
	if sum == 1 {
		b.Log(sum)
	}
}
