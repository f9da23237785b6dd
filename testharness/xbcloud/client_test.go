package xbcloud

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"envelopegw/testharness/xbstream"
)

func sortedFiles(total int64) []xbstream.FileSpec {
	fs := xbstream.DefaultFiles(total)
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
	return fs
}

func testStream(t *testing.T, opts xbstream.GenOptions) ([]byte, xbstream.Manifest) {
	t.Helper()
	var b bytes.Buffer
	man, err := xbstream.Generate(&b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), man
}

// fakeClient makes a client for the fake at srv, addressed as endpoint
// (srv itself when ""), every connection going to srv.
func fakeClient(t *testing.T, srv, endpoint string, mod func(*Config)) *Client {
	t.Helper()
	u, _ := url.Parse(srv)
	if endpoint == "" {
		endpoint = srv
	}
	cfg := Config{Endpoint: endpoint, AccessKey: "AKTEST", SecretKey: "secret/key+1", Bucket: "backups",
		RetryBackoff: time.Millisecond, ConnectTo: u.Host}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func extract(t *testing.T, stream []byte) xbstream.Manifest {
	t.Helper()
	dir := t.TempDir()
	if _, err := xbstream.Extract(bytes.NewReader(stream), dir); err != nil {
		t.Fatal(err)
	}
	m, err := xbstream.HashDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRoundTripFake(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		api, lookup string
		parallel    int
	}{{"4", "path", 1}, {"4", "path", 8}, {"2", "path", 8}, {"4", "dns", 8}, {"2", "dns", 1}} {
		name := "v" + tc.api + tc.lookup + string(rune('0'+tc.parallel))
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeS3(t)
			f.domain = "s3.test"
			f.pageSize = 7 // several pages, continued from the last key
			u, _ := url.Parse(srv.URL)
			ep := "http://s3.test:" + u.Port()
			stream, man := testStream(t, xbstream.GenOptions{Seed: 9, Files: sortedFiles(1 << 20), ChunkSize: 64 << 10})
			c := fakeClient(t, srv.URL, ep, func(c *Config) { c.APIVersion, c.BucketLookup, c.Parallel = tc.api, tc.lookup, tc.parallel })
			st, err := c.Put(ctx, "full", bytes.NewReader(stream))
			if err != nil {
				t.Fatal(err)
			}
			if st.Bytes != int64(len(stream)) {
				t.Errorf("uploaded %d bytes of %d", st.Bytes, len(stream))
			}
			if f.buckets["backups"] == nil {
				t.Fatal("bucket not created")
			}
			var out bytes.Buffer
			if _, err := c.Get(ctx, "full", &out); err != nil {
				t.Fatal(err)
			}
			if tc.parallel == 1 && !bytes.Equal(out.Bytes(), stream) {
				t.Error("get --parallel=1 of a stream of sorted, non-interleaved files is not byte-identical")
			}
			if d := man.Diff(extract(t, out.Bytes())); d != "" {
				t.Error(d)
			}
			if _, err := c.Put(ctx, "full", bytes.NewReader(stream)); err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Errorf("second put: %v", err)
			}
			n, err := c.Delete(ctx, "full")
			if err != nil || n != st.Objects {
				t.Errorf("delete: %d objects, %v; want %d", n, err, st.Objects)
			}
			if len(f.buckets["backups"]) != 0 {
				t.Errorf("%d objects left after delete", len(f.buckets["backups"]))
			}
			if f.methods["POST"] != 0 {
				t.Error("POST sent (multipart or multi-delete)")
			}
			f.check(t)
		})
	}
}

func TestAutoProbe(t *testing.T) {
	ctx := context.Background()
	// No virtual hosts: DNS style gets 400 InvalidHost, so PATH+V4 wins.
	f, srv := newFakeS3(t)
	c := fakeClient(t, srv.URL, "", nil)
	if _, err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if l, a := c.Style(); l != LookupPath || a != APIV4 {
		t.Errorf("probe chose %s+V%s, want path+V4", l, a)
	}
	// Without ConnectTo, bucket.127.0.0.1 does not resolve: same result.
	c = fakeClient(t, srv.URL, "", func(c *Config) { c.ConnectTo = "" })
	if _, err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if l, a := c.Style(); l != LookupPath || a != APIV4 {
		t.Errorf("probe without resolver chose %s+V%s, want path+V4", l, a)
	}
	// Virtual hosts: DNS+V4 is tried first and wins.
	f.domain = "s3.test"
	u, _ := url.Parse(srv.URL)
	c = fakeClient(t, srv.URL, "http://s3.test:"+u.Port(), nil)
	if _, err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if l, a := c.Style(); l != LookupDNS || a != APIV4 {
		t.Errorf("probe chose %s+V%s, want dns+V4", l, a)
	}
	// Forced V2 against a server that refuses it: an error naming the try.
	f.noV2 = true
	c = fakeClient(t, srv.URL, "http://s3.test:"+u.Port(), func(c *Config) { c.APIVersion = APIV2 })
	if _, err := c.Connect(ctx); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Errorf("V2 against a V2-refusing server: %v", err)
	}
	f.check(t)
}

func TestIncompleteAndMissingIndex(t *testing.T) {
	ctx := context.Background()
	f, srv := newFakeS3(t)
	stream, _ := testStream(t, xbstream.GenOptions{Seed: 1, TotalSize: 300 << 10, ChunkSize: 32 << 10, Interleave: 2})
	f.hideKey = "b1/xtrabackup_tablespaces"
	c := fakeClient(t, srv.URL, "", func(c *Config) { c.Parallel = 4 })
	if _, err := c.Put(ctx, "b1", bytes.NewReader(stream)); err == nil || !strings.Contains(err.Error(), "backup is incomplete") {
		t.Fatalf("put with the marker hidden from listings: %v", err)
	}
	f.hideKey = ""
	delete(f.buckets["backups"], ChunkKey("b1", "shop/orders.ibd", 1))
	var out bytes.Buffer
	_, err := c.Get(ctx, "b1", &out)
	if err == nil || !strings.Contains(err.Error(), `missing chunk 1 of "shop/orders.ibd"`) {
		t.Errorf("get with a missing index: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("get wrote %d bytes before failing on a missing index", out.Len())
	}
	if _, err := c.Get(ctx, "nothing", &out); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("get of a missing backup: %v", err)
	}
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	f, srv := newFakeS3(t)
	stream, man := testStream(t, xbstream.GenOptions{Seed: 2, TotalSize: 200 << 10, ChunkSize: 16 << 10})
	f.fail = func(r *http.Request, n int) (int, bool) {
		switch {
		case r.Method == http.MethodPut && n == 1 && strings.Contains(r.URL.Path, "shop"):
			return 503, false
		case r.Method == http.MethodPut && n <= 2 && strings.Contains(r.URL.Path, "ibdata1"):
			return 0, true // dropped connection
		case r.Method == http.MethodGet && n == 1 && strings.Contains(r.URL.Path, "undo"):
			return []int{500, 504, 408}[len(r.URL.Path)%3], false
		}
		return 0, false
	}
	c := fakeClient(t, srv.URL, "", func(c *Config) { c.Parallel = 3 })
	if _, err := c.Put(ctx, "r", bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := c.Get(ctx, "r", &out); err != nil {
		t.Fatal(err)
	}
	if d := man.Diff(extract(t, out.Bytes())); d != "" {
		t.Error(d)
	}
	// 429 is not retried, and the error comes from the XML body.
	f.fail = func(r *http.Request, n int) (int, bool) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/r/") {
			return 429, false
		}
		return 0, false
	}
	_, err := c.Get(ctx, "r", &out)
	var he *Error
	if !errors.As(err, &he) || he.Status != 429 || he.Code != "Injected" {
		t.Errorf("429: %v", err)
	}
	// Persistent 503 gives up after MaxRetries.
	calls := 0
	f.fail = func(r *http.Request, n int) (int, bool) {
		if r.Method == http.MethodHead {
			calls++
		}
		return 503, false
	}
	c = fakeClient(t, srv.URL, "", func(c *Config) { c.MaxRetries, c.ConnectTo = 3, "" })
	if _, err := c.Connect(ctx); err == nil {
		t.Error("persistent 503: no error")
	}
	if calls != 4*2 { // PATH+V4 and PATH+V2 each 1+3 times (DNS fails before any request)
		t.Errorf("persistent 503: %d requests, want 8", calls)
	}
	f.check(t)
}
