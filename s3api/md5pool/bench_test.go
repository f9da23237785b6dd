package md5pool

import (
	"crypto/md5"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	md5simd "github.com/minio/md5-simd"
)

// BenchmarkMD5 hashes 10 MiB bodies in 1 MiB writes from 1, 2, 4 and 8
// goroutines, as concurrent uploads do, and reports process CPU-seconds
// per GiB hashed:
//
//   - stdlib: crypto/md5 on each goroutine;
//   - pool: hashers from a Pool;
//   - shared-after-N: one md5-simd server for everything that has
//     already handed out (and had closed) N hashers, what one
//     process-wide server became after N requests.
func BenchmarkMD5(b *testing.B) {
	data := payload(1 << 20)
	const perBody = 10
	// streams goroutines share the b.N bodies.
	run := func(b *testing.B, streams int, newHash func() (hash.Hash, func())) {
		b.SetBytes(perBody << 20)
		var next atomic.Int64
		cpu0 := processCPU()
		b.ResetTimer()
		var wg sync.WaitGroup
		for range streams {
			wg.Go(func() {
				for next.Add(1) <= int64(b.N) {
					h, done := newHash()
					for range perBody {
						h.Write(data)
					}
					h.Sum(nil)
					done()
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		gib := float64(b.N) * perBody / 1024
		b.ReportMetric((processCPU()-cpu0).Seconds()/gib, "cpu-s/GiB")
	}
	for _, par := range []int{1, 2, 4, 8} { // concurrent bodies
		b.Run(fmt.Sprintf("stdlib/streams=%d", par), func(b *testing.B) {
			run(b, par, func() (hash.Hash, func()) { return md5.New(), func() {} })
		})
		b.Run(fmt.Sprintf("pool/streams=%d", par), func(b *testing.B) {
			p := &Pool{}
			defer p.Close()
			run(b, par, func() (hash.Hash, func()) { h := p.NewHash(); return h, h.Close })
		})
		for _, dead := range []int{0, 1000, 5000} {
			b.Run(fmt.Sprintf("shared-after-%d/streams=%d", dead, par), func(b *testing.B) {
				s := md5simd.NewServer()
				defer s.Close()
				for range dead {
					h := s.NewHash()
					h.Write(data[:100])
					h.Sum(nil)
					h.Close()
				}
				run(b, par, func() (hash.Hash, func()) { h := s.NewHash(); return h, h.Close })
			})
		}
	}
}

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
