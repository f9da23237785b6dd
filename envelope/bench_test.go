package envelope

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const benchSize = 64 << 20

// BenchmarkRawAESGCM is the baseline: crypto/cipher AES-256-GCM sealing
// 64 KiB segments in place, nothing else. The envelope benchmarks are
// judged as a ratio to it.
func BenchmarkRawAESGCM(b *testing.B) {
	a, _ := cipher.NewGCM(must(aes.NewCipher(make([]byte, 32))))
	buf := make([]byte, DefaultSegmentSize+tagSize)
	nonce := make([]byte, nonceSize)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < benchSize/DefaultSegmentSize; i++ {
			nonce[0] = byte(i)
			a.Seal(buf[:0], nonce, buf[:DefaultSegmentSize], nil)
		}
	}
}

var benchIdentity = sync.OnceValue(func() Identity { return must(GenerateIdentity(TypeX25519)) })

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func benchKey(b *testing.B) (*Header, *Key) {
	h, k, err := NewHeader([]Recipient{benchIdentity().Recipient()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return h, k
}

// BenchmarkEncryptPart streams a 64 MiB part in 1 MiB writes.
func BenchmarkEncryptPart(b *testing.B) {
	_, k := benchKey(b)
	src := make([]byte, 1<<20)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		pw, err := k.NewPartWriter(io.Discard, 1)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < benchSize/len(src); i++ {
			if _, err := pw.Write(src); err != nil {
				b.Fatal(err)
			}
		}
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchObject(b *testing.B) (*Key, *Table, []byte) {
	_, k := benchKey(b)
	var buf bytes.Buffer
	pw, _ := k.NewPartWriter(&buf, 1)
	pw.Write(make([]byte, benchSize))
	pw.Close()
	tb, _ := k.SealTable([]PartInfo{pw.Info()})
	t, err := k.OpenTable(tb)
	if err != nil {
		b.Fatal(err)
	}
	return k, t, buf.Bytes()
}

// BenchmarkDecryptRange reads a whole 64 MiB object through NewRangeReader.
func BenchmarkDecryptRange(b *testing.B) {
	k, t, body := benchObject(b)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		r, err := k.NewRangeReader(bytes.NewReader(body), t, 0, t.Size())
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
		r.Close()
	}
}

// BenchmarkDecryptStream reads a 64 MiB single-file envelope sequentially.
func BenchmarkDecryptStream(b *testing.B) {
	id := benchIdentity()
	var buf bytes.Buffer
	w, _ := Encrypt(&buf, []Recipient{id.Recipient()}, nil)
	w.Write(make([]byte, benchSize))
	w.Close()
	env := buf.Bytes()
	h, _ := ReadHeader(bytes.NewReader(env))
	k, err := h.Unwrap(id)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		r := k.newStreamReader(bytes.NewReader(env[h.Size():]))
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkRatio runs each envelope path and the raw AES-GCM baseline
// alternately, 64 MiB at a time, and reports envelope throughput as a
// fraction of raw ("ratio"), so that machine load shared by both cancels
// out. Encryption is compared with raw Seal, decryption with raw Open.
func BenchmarkRatio(b *testing.B) {
	a, _ := cipher.NewGCM(must(aes.NewCipher(make([]byte, 32))))
	seg := make([]byte, DefaultSegmentSize+tagSize)
	nonce := make([]byte, nonceSize)
	sealed := a.Seal(nil, nonce, seg[:DefaultSegmentSize], nil)
	rawSeal := func() {
		for i := 0; i < benchSize/DefaultSegmentSize; i++ {
			a.Seal(seg[:0], nonce, seg[:DefaultSegmentSize], nil)
		}
	}
	rawOpen := func() {
		for i := 0; i < benchSize/DefaultSegmentSize; i++ {
			if _, err := a.Open(seg[:0], nonce, sealed, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	h, k := benchKey(b)
	src := make([]byte, 1<<20)
	encrypt := func() {
		pw, _ := k.NewPartWriter(io.Discard, 1)
		for i := 0; i < benchSize/len(src); i++ {
			pw.Write(src)
		}
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
	}
	var body bytes.Buffer
	pw, _ := k.NewPartWriter(&body, 1)
	pw.Write(make([]byte, benchSize))
	pw.Close()
	tb, _ := k.SealTable([]PartInfo{pw.Info()})
	t, _ := k.OpenTable(tb)
	rangeRead := func() {
		r, _ := k.NewRangeReader(bytes.NewReader(body.Bytes()), t, 0, t.Size())
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
		r.Close()
	}
	// rawOpenBody is the honest baseline for decryption: raw AES-256-GCM
	// Open of the very segments the readers decrypt (same key, nonces and
	// 64 MiB of ciphertext, read from memory, not one segment hot in
	// cache), into one reused segment buffer. Nothing else: no copy, no
	// I/O interface, no framing.
	pa, _ := k.partAEAD(1, pw.Info().Salt)
	sealedBody := body.Bytes()[saltSize:]
	segOut := make([]byte, DefaultSegmentSize)
	nSegs := int(segmentCount(benchSize, DefaultSegmentSize))
	var openNonce [nonceSize]byte
	rawOpenBody := func() {
		for j := 0; j < nSegs; j++ {
			c := sealedBody[j*(DefaultSegmentSize+tagSize):]
			c = c[:min(len(c), DefaultSegmentSize+tagSize)]
			setNonce(&openNonce, uint64(j), j == nSegs-1)
			if _, err := pa.Open(segOut[:0], openNonce[:], c, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	hb, _ := h.MarshalBinary()
	file := appendFooter(append(append(hb, body.Bytes()...), tb...), len(tb))
	stream := func() {
		r := k.newStreamReader(bytes.NewReader(file[len(hb):]))
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
	}
	// rawCopyOpen is the least any reader behind io.Reader or
	// io.ReaderAt can do: copy the sealed bytes into its buffer (here 1 MiB
	// at a time from memory; read(2) from a file) and open them in place.
	a1, _ := cipher.NewGCM(must(aes.NewCipher(make([]byte, 32))))
	nonce1 := make([]byte, nonceSize)
	segCT := DefaultSegmentSize + tagSize
	memSealed := make([]byte, 0, benchSize/DefaultSegmentSize*segCT)
	for i := 0; i < benchSize/DefaultSegmentSize; i++ {
		nonce1[0] = byte(i)
		memSealed = a1.Seal(memSealed, nonce1, seg[:DefaultSegmentSize], nil)
	}
	batch := make([]byte, 16*segCT)
	rawCopyOpen := func() {
		for off := 0; off < len(memSealed); off += len(batch) {
			copy(batch, memSealed[off:])
			for j := 0; j < 16; j++ {
				nonce1[0] = byte(off/segCT + j)
				c := batch[j*segCT : (j+1)*segCT]
				if _, err := a1.Open(c[:0], nonce1, c, nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	// Reading from a pipe: read(2) copies every byte out of the kernel,
	// the floor of `envelopegw decrypt < pipe` and of any body that
	// arrives over a socket. pipeFrom writes src into a pipe in 1 MiB
	// writes from another goroutine (the process's CPU counts both
	// ends, for the reader and for its baseline alike).
	pipeFrom := func(src []byte) *os.File {
		pr, pw, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			defer pw.Close()
			for off := 0; off < len(src); off += 1 << 20 {
				if _, err := pw.Write(src[off:min(len(src), off+1<<20)]); err != nil {
					return
				}
			}
		}()
		return pr
	}
	streamPipe := func() {
		pr := pipeFrom(file[len(hb):])
		defer pr.Close()
		r := k.newStreamReader(pr)
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
	}
	// rawPipeOpen is raw Open after read(2) of the same segments from a
	// pipe into a 1 MiB batch buffer, in place.
	rawPipeOpen := func() {
		pr := pipeFrom(memSealed)
		defer pr.Close()
		for off := 0; off < len(memSealed); off += len(batch) {
			if _, err := io.ReadFull(pr, batch); err != nil {
				b.Fatal(err)
			}
			for j := 0; j < 16; j++ {
				nonce1[0] = byte(off/segCT + j)
				c := batch[j*segCT : (j+1)*segCT]
				if _, err := a1.Open(c[:0], nonce1, c, nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	// fileRead is a GET or `envelopegw decrypt`: the range reader over a
	// file in the page cache, each batch copied out by pread(2).
	f, err := os.CreateTemp(b.TempDir(), "body")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(body.Bytes()); err != nil {
		b.Fatal(err)
	}
	fileRead := func() {
		r, _ := k.NewRangeReader(io.NewSectionReader(f, 0, int64(body.Len())), t, 0, t.Size())
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
		r.Close()
	}
	// fileReadParallel is `envelopegw decrypt` of a file: the same, with
	// each 1 MiB batch opened on every core (parallel.go).
	fileReadParallel := func() {
		r, _ := k.NewParallelRangeReader(io.NewSectionReader(f, 0, int64(body.Len())), t, 0, t.Size(), 0)
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
		r.Close()
	}
	// partsRead is a GET of a multipart object from the posix backend:
	// the same 64 MiB as four 16 MiB parts, each part's body in a file of
	// its own (mapped one file at a time).
	pk := newBenchObject(b, k, 4)
	partsRead := func() {
		r, _ := k.NewRangeReader(io.NewSectionReader(pk.body, 0, pk.size), pk.t, 0, pk.t.Size())
		if n, err := io.Copy(io.Discard, r); err != nil || n != benchSize {
			b.Fatal(n, err)
		}
		r.Close()
	}
	// rawMapped is the floor of reading from a mapping: raw Open of each
	// file's segments (after its part salt) from 8 MiB windows mapped
	// as the readers map them (mmap, faults, munmap), nothing else.
	rawMapped := func(files []*os.File, aeads []cipher.AEAD, sizes []int64) func() {
		return func() {
			for i, f := range files {
				st, err := f.Stat()
				if err != nil {
					b.Fatal(err)
				}
				var m []byte
				var mOff int64
				n := segmentCount(sizes[i], DefaultSegmentSize)
				for j := int64(0); j < n; j++ {
					o := saltSize + j*int64(segCT)
					l := min(int64(segCT), st.Size()-o)
					if m == nil || o+l > mOff+int64(len(m)) {
						if m != nil {
							unix.Munmap(m)
						}
						mOff = o &^ int64(os.Getpagesize()-1)
						if m, err = unix.Mmap(int(f.Fd()), mOff, int(min(st.Size(), mOff+mapWindow)-mOff), unix.PROT_READ, unix.MAP_SHARED); err != nil {
							b.Fatal(err)
						}
					}
					setNonce(&openNonce, uint64(j), j == n-1)
					if _, err := aeads[i].Open(segOut[:0], openNonce[:], m[o-mOff:][:l], nil); err != nil {
						b.Fatal(err)
					}
				}
				unix.Munmap(m)
			}
		}
	}
	var partAEADs []cipher.AEAD
	var partSizes []int64
	for _, p := range pk.t.Parts {
		partAEADs = append(partAEADs, must(k.partAEAD(p.Number, p.Salt)))
		partSizes = append(partSizes, p.Size)
	}
	for _, c := range []struct {
		name      string
		env, base func()
	}{
		{"encrypt", encrypt, rawSeal},
		{"decrypt-range", rangeRead, rawOpenBody},
		{"decrypt-file", fileRead, rawOpenBody},
		{"decrypt-file-parallel", fileReadParallel, rawOpenBody},
		{"decrypt-stream", stream, rawOpenBody},
		{"decrypt-parts", partsRead, rawOpenBody},
		{"open-hot-segment-vs-body", rawOpen, rawOpenBody},
		{"decrypt-range-vs-copy+open", rangeRead, rawCopyOpen},
		{"decrypt-stream-vs-copy+open", stream, rawCopyOpen},
		{"decrypt-stream-pipe-vs-read+open", streamPipe, rawPipeOpen},
		{"decrypt-file-vs-mapped-open", fileRead, rawMapped([]*os.File{f}, []cipher.AEAD{pa}, []int64{benchSize})},
		{"decrypt-parts-vs-mapped-open", partsRead, rawMapped(pk.body.files, partAEADs, partSizes)},
		{"mapped-open-file-vs-open", rawMapped([]*os.File{f}, []cipher.AEAD{pa}, []int64{benchSize}), rawOpenBody},
		{"mapped-open-parts-vs-open", rawMapped(pk.body.files, partAEADs, partSizes), rawOpenBody},
		{"read+open-pipe-vs-open", rawPipeOpen, rawOpenBody},
	} {
		b.Run(c.name, func(b *testing.B) {
			// CPU time of the whole process (every thread: the range
			// reader reads ahead in a goroutine of its own) and wall time.
			// On a shared, loaded machine the CPU ratio is the one to
			// trust: time spent descheduled would otherwise land on
			// either side. The wall ratio shows what the read-ahead
			// overlaps when a second core is free.
			var tEnv, tBase, wEnv, wBase time.Duration
			b.SetBytes(benchSize)
			b.ReportAllocs()
			for b.Loop() {
				t0, w0 := processCPU(), time.Now()
				c.base()
				t1, w1 := processCPU(), time.Now()
				c.env()
				tEnv += processCPU() - t1
				wEnv += time.Since(w1)
				tBase += t1 - t0
				wBase += w1.Sub(w0)
			}
			mb := func(d time.Duration) float64 { return float64(b.N) * benchSize / d.Seconds() / 1e6 }
			b.ReportMetric(mb(tBase), "raw-cpu-MB/s")
			b.ReportMetric(mb(tEnv), "env-cpu-MB/s")
			b.ReportMetric(tBase.Seconds()/tEnv.Seconds(), "ratio")
			b.ReportMetric(wBase.Seconds()/wEnv.Seconds(), "ratio-wall")
		})
	}
}

// processCPU is the user and system time of every thread of the process.
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

// benchParts is a 64 MiB object of several parts whose bodies lie in
// files of their own, as the posix backend keeps a multipart upload.
type benchParts struct {
	t    *Table
	body extentFiles
	size int64
}

func newBenchObject(b *testing.B, k *Key, parts int) benchParts {
	var infos []PartInfo
	e := extentFiles{mapped: new(int), reads: new(int)}
	var end int64
	for n := 1; n <= parts; n++ {
		f, err := os.CreateTemp(b.TempDir(), "part")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		pw, _ := k.NewPartWriter(f, n)
		pw.Write(make([]byte, benchSize/parts))
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
		infos = append(infos, pw.Info())
		end += pw.Info().StoredSize(k.segmentSize)
		e.files, e.offs, e.ends = append(e.files, f), append(e.offs, 0), append(e.ends, end)
	}
	tb, _ := k.SealTable(infos)
	t, err := k.OpenTable(tb)
	if err != nil {
		b.Fatal(err)
	}
	return benchParts{t: t, body: e, size: end}
}
