package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// The workloads of one benchmark run, after issue 10: the multipart
// ingest the ratio line is about, xbcloud's 10 MiB single PUTs at 4 and
// 16 clients with a payload SHA-256 (and once unsigned, to price the
// hash), 64 MiB PUTs, small objects (per-object cost, reported in
// objects/s and CPU-s per 1,000 objects), 64 MiB GETs, and the 10 MiB
// PUTs again at 1, 4, 16 and 64 clients to show how both servers scale,
// and listings of 100,000 and 1,000,000 keys (gateway only; listing.go).
// -workload picks some by name.
func workloads(cfg benchConfig) []workload {
	put := func(name string, clients, objects int, sz int64) workload {
		return workload{name: name, clients: clients, objects: objects, objSize: sz}
	}
	ws := []workload{
		{name: "multipart", clients: cfg.clients, objects: cfg.mpObjects, objSize: cfg.mpSize, partSize: cfg.partSize},
		put("put10", 4, cfg.putCount, cfg.putSize),
		put("put10-16", 16, cfg.putCount, cfg.putSize),
		{name: "put10u", clients: 4, objects: cfg.putCount, objSize: cfg.putSize, unsigned: true},
		put("put64", 8, max(8, cfg.putCount/6), 64<<20),
		put("small1k", 16, cfg.smallCount, 1<<10),
		put("small16k", 16, cfg.smallCount, 16<<10),
		put("small64k", 16, cfg.smallCount, 64<<10),
		{name: "get64", clients: 8, objects: max(8, cfg.putCount/6), objSize: 64 << 20, get: true},
	}
	for _, n := range []int{1, 4, 16, 64} {
		ws = append(ws, put(fmt.Sprintf("scale%d", n), n, max(cfg.putCount/4, 2*n), cfg.putSize))
	}
	lk := func(n int) int { return max(listDays, int(float64(n)*cfg.listScale)) }
	ws = append(ws, workload{name: "list100k", list: lk(100_000)}, workload{name: "list1m", list: lk(1_000_000)})
	return ws
}

// pick returns the workloads named in list (comma-separated; "" is all).
func pick(ws []workload, list string) ([]workload, error) {
	if list == "" {
		return ws, nil
	}
	var out []workload
	for _, n := range strings.Split(list, ",") {
		found := false
		for _, w := range ws {
			if w.name == n {
				out, found = append(out, w), true
			}
		}
		if !found {
			var names []string
			for _, w := range ws {
				names = append(names, w.name)
			}
			return nil, fmt.Errorf("no workload %q (have %s)", n, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// putSizes lists the single-PUT object sizes of ws, for newData.
func putSizes(ws []workload) []int64 {
	var s []int64
	for _, w := range ws {
		if w.partSize == 0 {
			s = append(s, w.objSize)
		}
	}
	return s
}

func size(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return mib(n)
}

// small reports whether w is priced per object rather than per byte.
func (w workload) small() bool { return w.objSize < 1<<20 }

// upload stores the objects a GET workload reads, 8 at a time.
func upload(ctx context.Context, c *s3, w workload, d *data, keys []string) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	sem := make(chan struct{}, 8)
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.put(ctx, bucket, k, d.body(w, i)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// get reads bucket/key to the end and checks its length.
func (c *s3) get(ctx context.Context, bucket, key string, want int64) error {
	resp, err := c.send(ctx, http.MethodGet, "/"+bucket+"/"+key, nil, body{})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("GET %s: HTTP %d: %s", key, resp.StatusCode, b)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", key, err)
	}
	if n != want {
		return fmt.Errorf("GET %s: %d bytes, want %d", key, n, want)
	}
	return nil
}
