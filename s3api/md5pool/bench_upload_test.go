package md5pool

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
	"testing"

	md5simd "github.com/minio/md5-simd"
)

// BenchmarkMD5InUpload is BenchmarkMD5 with the rest of an upload's
// per-byte work between the MD5 writes: each 1 MiB chunk is also hashed
// with SHA-256, sealed with AES-256-GCM in 64 KiB segments, and the
// ciphertext hashed with SHA-256, on the same goroutine, as the gateway's
// PUT path does. It reports the process CPU-seconds per GiB of all of it,
// for crypto/md5 and for md5-simd (a Pool that always uses it).
//
// It has no I/O: its streams never wait for a socket or a disk. On the
// 2-core development machine md5-simd still comes out ahead here at 4
// streams (3.66-4.16 against 3.91-4.12), while in the gateway, whose
// uploads are paced by their sockets, it cost 0.2-0.6 CPU-seconds per GiB
// more at 4 clients (docs/BENCHMARKS.md): the lanes fill only when the
// streams' MD5 writes coincide, which this benchmark makes likelier than
// real uploads do.
func BenchmarkMD5InUpload(b *testing.B) {
	data := payload(1 << 20)
	const perBody = 10
	const seg = 64 << 10
	key := make([]byte, 32)
	run := func(b *testing.B, streams int, newHash func() (hash.Hash, func())) {
		b.SetBytes(perBody << 20)
		var next atomic.Int64
		cpu0 := processCPU()
		b.ResetTimer()
		var wg sync.WaitGroup
		for range streams {
			wg.Go(func() {
				blk, _ := aes.NewCipher(key)
				aead, _ := cipher.NewGCM(blk)
				nonce := make([]byte, aead.NonceSize())
				out := make([]byte, 0, len(data)+len(data)/seg*aead.Overhead())
				for next.Add(1) <= int64(b.N) {
					h, done := newHash()
					payloadSum, cipherSum := sha256.New(), sha256.New()
					for range perBody {
						h.Write(data)
						payloadSum.Write(data)
						out = out[:0]
						for p := data; len(p) > 0; p = p[seg:] {
							out = aead.Seal(out, nonce, p[:seg], nil)
						}
						cipherSum.Write(out)
					}
					h.Sum(nil)
					payloadSum.Sum(nil)
					cipherSum.Sum(nil)
					done()
				}
			})
		}
		wg.Wait()
		b.StopTimer()
		gib := float64(b.N) * perBody / 1024
		b.ReportMetric((processCPU()-cpu0).Seconds()/gib, "cpu-s/GiB")
	}
	for _, par := range []int{4, 8} {
		b.Run(fmt.Sprintf("stdlib/streams=%d", par), func(b *testing.B) {
			run(b, par, func() (hash.Hash, func()) { return md5.New(), func() {} })
		})
		b.Run(fmt.Sprintf("simd/streams=%d", par), func(b *testing.B) {
			p := &Pool{MinConcurrent: 1}
			defer p.Close()
			run(b, par, func() (hash.Hash, func()) {
				var h md5simd.Hasher = p.NewHash()
				return h, h.Close
			})
		})
	}
}
