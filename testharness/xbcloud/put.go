package xbcloud

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"envelopegw/testharness/xbstream"
)

// ChunkKey is the object key xbcloud gives chunk index of file path in
// backup name.
func ChunkKey(name, path string, index int) string {
	return fmt.Sprintf("%s/%s.%020d", name, path, index)
}

// PutStats reports what Put uploaded.
type PutStats struct {
	Objects int
	Bytes   int64
	Files   int
}

// Put uploads the xbstream read from r as backup name: one object per
// chunk, up to Parallel PUTs in flight.
func (c *Client) Put(ctx context.Context, name string, r io.Reader) (PutStats, error) {
	var st PutStats
	if err := checkName(name); err != nil {
		return st, err
	}
	status, err := c.Connect(ctx)
	if err != nil {
		return st, err
	}
	if status == 404 {
		if err := c.createBucket(ctx); err != nil {
			return st, err
		}
	}
	existing, err := c.List(ctx, name+"/", true)
	if err != nil {
		return st, err
	}
	if len(existing) > 0 {
		return st, fmt.Errorf("xbcloud: backup already exists: %s/%s (%d keys under %s/)", c.cfg.Bucket, name, len(existing), name)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct {
		key  string
		body []byte
	}
	jobs := make(chan job)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sums = map[string][16]byte{}
	)
	for i := 0; i < c.cfg.Parallel; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				if _, err := c.do(ctx, request{method: http.MethodPut, key: j.key, body: j.body, objectPut: true}); err != nil {
					cancel(fmt.Errorf("xbcloud: upload %s: %w", j.key, err))
					continue
				}
				if c.cfg.MD5 {
					mu.Lock()
					sums[j.key] = md5.Sum(j.body)
					mu.Unlock()
				}
			}
		}()
	}

	index := map[string]int{}
	marker, last := "", ""
	xr := xbstream.NewReader(r)
	var readErr error
	for {
		ch, err := xr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = fmt.Errorf("xbcloud: reading the xbstream on input: %w", err)
			break
		}
		i := index[ch.Path]
		index[ch.Path] = i + 1
		if ch.Type == xbstream.TypeEOF {
			st.Files++
			last = ch.Path
			if ch.Path == "xtrabackup_tablespaces" {
				marker = ch.Path
			}
		}
		select {
		case jobs <- job{ChunkKey(name, ch.Path, i), ch.Raw}:
			st.Objects++
			st.Bytes += int64(len(ch.Raw))
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if readErr != nil {
		return st, readErr
	}
	if err := context.Cause(ctx); err != nil {
		return st, err
	}
	if st.Objects == 0 {
		return st, errors.New("xbcloud: the input held no xbstream chunk")
	}
	if c.cfg.MD5 {
		keys := make([]string, 0, len(sums))
		for k := range sums {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			s := sums[k]
			fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(s[:]), k)
		}
		if _, err := c.do(ctx, request{method: http.MethodPut, key: name + ".md5", body: []byte(b.String()), objectPut: true}); err != nil {
			return st, fmt.Errorf("xbcloud: upload %s.md5: %w", name, err)
		}
	}
	if marker == "" {
		marker = last
	}
	keys, err := c.List(ctx, name+"/", false)
	if err != nil {
		return st, err
	}
	for _, k := range keys {
		if strings.HasPrefix(k, name+"/"+marker) {
			c.logf("upload of %s completed: %d objects, %d bytes", name, st.Objects, st.Bytes)
			return st, nil
		}
	}
	return st, fmt.Errorf("xbcloud: backup is incomplete: no key %s/%s* listed after the upload", name, marker)
}

func (c *Client) createBucket(ctx context.Context) error {
	var body []byte
	if c.cfg.Region != "us-east-1" {
		body = []byte("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>" +
			c.cfg.Region + "</LocationConstraint></CreateBucketConfiguration>")
	} else {
		body = []byte{}
	}
	if _, err := c.do(ctx, request{method: http.MethodPut, body: body}); err != nil {
		return fmt.Errorf("xbcloud: creating bucket %q: %w", c.cfg.Bucket, err)
	}
	c.logf("created bucket %s", c.cfg.Bucket)
	return nil
}

func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") {
		return fmt.Errorf("xbcloud: bad backup name %q", name)
	}
	return nil
}
