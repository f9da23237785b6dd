package gateway

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"runtime"
	"syscall"
	"testing"
	"time"

	"envelopegw/s3api/checksum"
)

// BenchmarkPrimitives measures, on one goroutine locked to its thread,
// the CPU-seconds per GiB of each per-byte step of a PUT: the floor
// under the gateway's CPU per GiB (docs/BENCHMARKS.md, "where the time
// goes"). Thread CPU time, not wall time, so other load on the machine
// does not inflate it.
func BenchmarkPrimitives(b *testing.B) {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 13)
	}
	hashes := []struct {
		name string
		new  func() hash.Hash
	}{
		{"md5", md5.New},
		{"sha256", sha256.New},
		{"crc64nvme", func() hash.Hash { h, _ := checksum.New(checksum.CRC64NVME); return h }},
		{"crc32c", func() hash.Hash { h, _ := checksum.New(checksum.CRC32C); return h }},
	}
	for _, hc := range hashes {
		b.Run(hc.name, func(b *testing.B) {
			h := hc.new()
			perGiB(b, len(buf), func() { h.Write(buf) })
		})
	}
	b.Run("aes-256-gcm-64k", func(b *testing.B) {
		blk, _ := aes.NewCipher(make([]byte, 32))
		aead, _ := cipher.NewGCM(blk)
		nonce := make([]byte, aead.NonceSize())
		const seg = 64 << 10
		out := make([]byte, 0, seg+aead.Overhead())
		perGiB(b, len(buf), func() {
			for off := 0; off < len(buf); off += seg {
				out = aead.Seal(out[:0], nonce, buf[off:off+seg], nil)
			}
		})
	})
	b.Run("copy", func(b *testing.B) {
		dst := make([]byte, len(buf))
		perGiB(b, len(buf), func() { copy(dst, buf) })
	})
}

// perGiB runs step (over n bytes) b.N times and reports the thread's
// CPU-seconds per GiB.
func perGiB(b *testing.B, n int, step func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.SetBytes(int64(n))
	cpu0 := threadCPU()
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.StopTimer()
	gib := float64(b.N) * float64(n) / (1 << 30)
	b.ReportMetric((threadCPU()-cpu0).Seconds()/gib, "cpu-s/GiB")
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
