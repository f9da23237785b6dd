package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// workload is one kind of upload traffic.
type workload struct {
	name     string
	clients  int   // uploads in flight
	objects  int   // objects per run
	objSize  int64 // bytes per object
	partSize int64 // 0: single PUT
	get      bool  // GETs of objects uploaded before the run (untimed)
	unsigned bool  // single PUTs with UNSIGNED-PAYLOAD and no Content-MD5
	list     int   // a listing workload over this many keys (listing.go)
}

func (w workload) String() string {
	if w.list > 0 {
		return fmt.Sprintf("%s: listing %d keys under date prefixes (first page cold, two SDK walks, a middle page; scrub), gateway only", w.name, w.list)
	}
	if w.get {
		return fmt.Sprintf("%s: %d clients, %d GETs of %s (uploaded before the run)", w.name, w.clients, w.objects, size(w.objSize))
	}
	if w.unsigned {
		return fmt.Sprintf("%s: %d clients, %d single PUTs of %s (UNSIGNED-PAYLOAD)", w.name, w.clients, w.objects, size(w.objSize))
	}
	if w.partSize == 0 {
		return fmt.Sprintf("%s: %d clients, %d single PUTs of %s (real SHA-256 + Content-MD5, like xbcloud)",
			w.name, w.clients, w.objects, size(w.objSize))
	}
	return fmt.Sprintf("%s: %d clients, %d multipart uploads of %s in %s parts (UNSIGNED-PAYLOAD)",
		w.name, w.clients, w.objects, mib(w.objSize), mib(w.partSize))
}

func (w workload) total() int64 { return int64(w.objects) * w.objSize }

// data is the pre-generated payload every upload is cut from: a ChaCha8
// buffer generated once, sliced at a different offset for each part or
// object (so consecutive objects differ), plus a few single-PUT bodies with
// their digests computed once. The client thus spends no CPU making or
// hashing data during a run.
type data struct {
	pool    []byte
	strides int
	puts    map[int64][]body // per object size: 8 bodies with digests
}

const stride = 1 << 20

func newData(maxPart int64, putSizes ...int64) *data {
	d := &data{strides: 48, puts: map[int64][]body{}}
	size := maxPart
	for _, s := range putSizes {
		size = max(size, s)
	}
	d.pool = make([]byte, int64(d.strides)*stride+size)
	var seed [32]byte
	seed[0] = 42
	io.ReadFull(rand.NewChaCha8(seed), d.pool)
	for _, s := range putSizes {
		if s > 0 && d.puts[s] == nil {
			for i := 0; i < 8; i++ {
				off := int64(i*5) * stride
				d.puts[s] = append(d.puts[s], digests(d.pool[off:off+s]))
			}
		}
	}
	return d
}

// body returns the i-th prepared body of w's object size.
func (d *data) body(w workload, i int) body {
	bs := d.puts[w.objSize]
	b := bs[i%len(bs)]
	if w.unsigned {
		b.sha256, b.md5 = "", ""
	}
	return b
}

func (d *data) part(obj, part int, size int64) []byte {
	off := int64((obj*31+part*17)%d.strides) * stride
	return d.pool[off : off+size]
}

// result is one run of a workload against one server.
type result struct {
	server, workload string
	get              bool
	objects          int
	bytes            int64
	seconds          float64
	before, after    procSample
	clientCPU        float64 // CPU-seconds of this process (the clients) during the run
	stored           int64   // growth of the server's stored bytes (servers with stored only)
}

func (r result) mibps() float64 { return float64(r.bytes) / (1 << 20) / r.seconds }

func (r result) cpuPerGiB() float64 {
	return (r.after.cpuSeconds - r.before.cpuSeconds) / (float64(r.bytes) / (1 << 30))
}

// run drives w against srv once, then deletes what it wrote (not timed).
func run(ctx context.Context, srv *server, w workload, d *data, round int) (result, error) {
	res := result{server: srv.name, workload: w.name, get: w.get, objects: w.objects, bytes: w.total()}
	c, err := newS3(srv.endpoint, srv.ak, srv.sk, w.clients+2)
	if err != nil {
		return res, err
	}
	keys := make([]string, w.objects)
	for i := range keys {
		keys[i] = fmt.Sprintf("r%d/%s/obj-%04d", round, w.name, i)
	}
	if w.get {
		if err := upload(ctx, c, w, d, keys); err != nil {
			return res, fmt.Errorf("%s against %s, setup: %w", w.name, srv.name, err)
		}
	}
	syscall.Sync() // start from a clean page cache state
	if err := resetPeakRSS(srv.pid()); err != nil {
		return res, fmt.Errorf("reset peak RSS of %s: %w", srv.name, err)
	}
	if res.before, err = sampleProc(srv.pid()); err != nil {
		return res, err
	}
	self0, err := sampleProc(os.Getpid())
	if err != nil {
		return res, err
	}
	stored0, err := storedBytes(ctx, srv)
	if err != nil {
		return res, err
	}
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range w.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= w.objects || ctx.Err() != nil {
					return
				}
				var err error
				switch {
				case w.get:
					err = c.get(ctx, bucket, keys[i], w.objSize)
				case w.partSize == 0:
					err = c.put(ctx, bucket, keys[i], d.body(w, i))
				default:
					n := int((w.objSize + w.partSize - 1) / w.partSize)
					err = c.multipart(ctx, bucket, keys[i], func(p int) []byte {
						return d.part(i, p, min(w.partSize, w.objSize-int64(p-1)*w.partSize))
					}, n)
				}
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	res.seconds = time.Since(start).Seconds()
	if firstErr != nil {
		return res, fmt.Errorf("%s against %s: %w", w.name, srv.name, firstErr)
	}
	if res.after, err = sampleProc(srv.pid()); err != nil {
		return res, err
	}
	self1, err := sampleProc(os.Getpid())
	if err != nil {
		return res, err
	}
	res.clientCPU = self1.cpuSeconds - self0.cpuSeconds
	stored1, err := storedBytes(ctx, srv)
	if err != nil {
		return res, err
	}
	res.stored = stored1 - stored0
	for _, k := range keys {
		if err := c.del(context.Background(), bucket, k); err != nil {
			return res, fmt.Errorf("cleanup: %w", err)
		}
	}
	return res, nil
}

// storedBytes is what srv's store holds, or 0 where it cannot tell.
func storedBytes(ctx context.Context, srv *server) (int64, error) {
	if srv.stored == nil {
		return 0, nil
	}
	n, err := srv.stored(ctx)
	if err != nil {
		return 0, fmt.Errorf("stored size of %s: %w", srv.name, err)
	}
	return n, nil
}
