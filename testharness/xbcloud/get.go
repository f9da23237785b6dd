package xbcloud

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// backupFile is one file of a stored backup: its path and chunk count.
type backupFile struct {
	path   string
	chunks int
}

// parseListing groups the keys of backup name into files and checks that
// every file has every chunk index from 0 to its last.
func parseListing(name string, keys []string) ([]backupFile, error) {
	idx := map[string]map[int]bool{}
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, name+"/")
		dot := strings.LastIndexByte(rest, '.')
		if !ok || dot <= 0 || len(rest)-dot-1 != 20 {
			return nil, fmt.Errorf("xbcloud: key %q is not a chunk of backup %q", k, name)
		}
		n, err := strconv.Atoi(rest[dot+1:])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("xbcloud: key %q has a bad chunk index", k)
		}
		p := rest[:dot]
		if idx[p] == nil {
			idx[p] = map[int]bool{}
		}
		idx[p][n] = true
	}
	files := make([]backupFile, 0, len(idx))
	for p, set := range idx {
		last := -1
		for n := range set {
			last = max(last, n)
		}
		for n := 0; n <= last; n++ {
			if !set[n] {
				return nil, fmt.Errorf("xbcloud: backup %q is missing chunk %d of %q (has %d of %d)", name, n, p, len(set), last+1)
			}
		}
		files = append(files, backupFile{p, last + 1})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

// GetStats reports what Get downloaded.
type GetStats struct {
	Files, Objects int
	Bytes          int64
}

// Get writes backup name to w as an xbstream: each file's chunks in order,
// up to Parallel files downloading at once, each object written whole.
func (c *Client) Get(ctx context.Context, name string, w io.Writer) (GetStats, error) {
	var st GetStats
	if err := checkName(name); err != nil {
		return st, err
	}
	status, err := c.Connect(ctx)
	if err != nil {
		return st, err
	}
	if status == 404 {
		return st, fmt.Errorf("xbcloud: bucket %q does not exist", c.cfg.Bucket)
	}
	keys, err := c.List(ctx, name+"/", false)
	if err != nil {
		return st, err
	}
	if len(keys) == 0 {
		return st, fmt.Errorf("xbcloud: backup %q not found in bucket %q", name, c.cfg.Bucket)
	}
	files, err := parseListing(name, keys)
	if err != nil {
		return st, err
	}
	st.Files = len(files)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg   sync.WaitGroup
		wmu  sync.Mutex
		next = make(chan backupFile)
	)
	for i := 0; i < min(c.cfg.Parallel, len(files)); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				for n := 0; n < f.chunks && ctx.Err() == nil; n++ {
					key := ChunkKey(name, f.path, n)
					resp, err := c.do(ctx, request{method: http.MethodGet, key: key})
					if err != nil {
						cancel(fmt.Errorf("xbcloud: download %s: %w", key, err))
						break
					}
					wmu.Lock()
					_, err = w.Write(resp.body)
					st.Objects++
					st.Bytes += int64(len(resp.body))
					wmu.Unlock()
					if err != nil {
						cancel(fmt.Errorf("xbcloud: writing %s to the output: %w", key, err))
					}
				}
			}
		}()
	}
	for _, f := range files {
		select {
		case next <- f:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return st, err
	}
	c.logf("download of %s completed: %d files, %d objects, %d bytes", name, st.Files, st.Objects, st.Bytes)
	return st, nil
}

// Delete removes every object of backup name, one DELETE per key.
func (c *Client) Delete(ctx context.Context, name string) (int, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	status, err := c.Connect(ctx)
	if err != nil {
		return 0, err
	}
	if status == 404 {
		return 0, fmt.Errorf("xbcloud: bucket %q does not exist", c.cfg.Bucket)
	}
	keys, err := c.List(ctx, name+"/", false)
	if err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, fmt.Errorf("xbcloud: backup %q not found in bucket %q", name, c.cfg.Bucket)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	next := make(chan string)
	for i := 0; i < c.cfg.Parallel; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				if ctx.Err() != nil {
					continue
				}
				if _, err := c.do(ctx, request{method: http.MethodDelete, key: k}); err != nil {
					cancel(fmt.Errorf("xbcloud: delete %s: %w", k, err))
				}
			}
		}()
	}
	for _, k := range keys {
		next <- k
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	c.logf("deleted %s: %d objects", name, len(keys))
	return len(keys), nil
}
