// Package md5pool hands out multi-buffer MD5 hashers
// (github.com/minio/md5-simd) from servers that live for a bounded number
// of hashers, so that a long-running process pays the same per byte for
// its millionth upload as for its first.
//
// # Why not one md5-simd server for the whole process
//
// An md5-simd Server is one goroutine that packs the blocks of all its
// open hashers into SIMD lanes. It keeps every hasher it ever handed out
// in a map and walks that map on every processing cycle. In v1.1.2 (the
// newest release) a closed hasher is never removed: on the closed
// channel's receive the block is the zero value, so the server deletes the
// key 0 instead of the hasher's ID. A process-wide server therefore walks
// one dead entry per request it ever served, on every cycle: after a few
// thousand uploads, its goroutine spent more CPU on map iteration and
// channel polls than on MD5 (a 10 MiB PUT went from 6.4 to 18.6 server
// CPU-seconds per GiB within one benchmark run), and its interim digest
// map grows by one entry per request for good.
//
// # What Pool does instead
//
// Pool implements md5simd.Server. Each server it starts hands out at most
// PerServer hashers; then it is retired: new hashers come from a fresh
// server, and the retired one is closed (its goroutine ends and its maps
// and buffers are freed) as soon as the last of its hashers is closed. So
// a server's map never holds more than PerServer entries, dead or alive,
// and at most one server per PerServer concurrently open hashers (plus the
// current one) exists at any time. Stats exposes the counts that the tests
// check.
//
// A server costs 1.5 MiB of lane buffers and a goroutine; with PerServer
// at 64 that is well under 1% of the bytes a batch of large uploads
// brings, while the walk over at most 63 dead entries per cycle is a few
// microseconds per 16 lanes × 32 KiB of hashing.
//
// # Fewer than five at once: crypto/md5
//
// md5-simd hashes a cycle with fewer than 3 filled lanes with scalar
// code, after copying the bytes into its lane buffers and passing them
// through channels to its goroutine: for a lone stream that costs more
// than crypto/md5 (BenchmarkMD5, two goroutines: 2.20 against 1.83
// CPU-seconds per GiB). With four streams that do nothing but hash,
// md5-simd wins (1.39 against 1.80), but an upload also reads its socket,
// computes SHA-256, encrypts and writes between its MD5 writes, so in a
// gateway at 4 clients on 2 cores a cycle mostly finds one or two blocks
// queued: 60-75% of md5-simd's time was its scalar code, and the lane
// copies, channel hand-offs and the server goroutine's wake-ups came on
// top. Measured end to end (docs/BENCHMARKS.md, "What was cut:
// md5-simd's hand-offs at 4 clients"; five runs each, alternated), the
// gateway spent 0.37 (put10) and 0.44 (put10u) fewer CPU-seconds per GiB
// at 4 clients with crypto/md5, and about 0.2 more at 8 (multipart).
// BenchmarkMD5InUpload, which adds the rest of an upload's per-byte work
// but no I/O, does not reproduce the loss: its streams never wait on a
// socket or a disk.
// So while fewer than MinConcurrent (5) of the pool's hashers are open,
// NewHash returns a crypto/md5 hasher; from the fifth concurrent body on,
// md5-simd's lanes can fill.
//
// The hashers' results are md5-simd's own: Pool changes only which
// server a hasher lives on and when that server ends.
package md5pool
