package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"envelopegw/backend/s3/s3test"
)

// hideProxy sits between a Backend and a real upstream and makes what
// MinIO's erasure-coded listing was seen to do rarely happen every time:
// while an overwrite of an object is in flight, listings leave that
// object out. An overwrite is a PUT without If-None-Match (which only
// creates) of a name that matches hold; the proxy holds such a PUT until
// the test releases it, so the window is as long as the test needs.
type hideProxy struct {
	mu     sync.Mutex
	hold   *regexp.Regexp // names (relative to the upstream bucket) whose overwrites are held; nil: none
	hidden map[string]bool
	held   chan string   // a held overwrite's name, once it is hidden
	free   chan struct{} // one receive releases one held overwrite
}

var listKey = regexp.MustCompile(`<Contents><Key>([^<]*)</Key>.*?</Contents>`)

// hidingBackend is a Backend under a fresh prefix of the shared MinIO,
// reached through a hideProxy.
func hidingBackend(t *testing.T) (*Backend, *hideProxy) {
	t.Helper()
	srv := s3test.SharedMinIO(t)
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	hp := &hideProxy{hidden: map[string]bool{}, held: make(chan string, 16), free: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u) // keeps the Host the client signed
	rp.ModifyResponse = hp.filterListing
	prefix := "/" + srv.Bucket + "/"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, prefix)
		hp.mu.Lock()
		hold := hp.hold != nil && r.Method == http.MethodPut && r.Header.Get("If-None-Match") == "" && r.URL.RawQuery == "" && hp.hold.MatchString(name)
		if hold {
			hp.hidden[name] = true
		}
		hp.mu.Unlock()
		if hold {
			hp.held <- name
			<-hp.free
			rp.ServeHTTP(w, r)
			hp.mu.Lock()
			delete(hp.hidden, name)
			hp.mu.Unlock()
			return
		}
		if r.URL.Query().Has("list-type") {
			r.Header.Del("Accept-Encoding") // the filter reads the XML
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c, err := minio.New(strings.TrimPrefix(ts.URL, "http://"), &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(context.Background(), Options{Client: c, Bucket: srv.Bucket, Prefix: "hide" + randHex(4)})
	if err != nil {
		t.Fatal(err)
	}
	return b, hp
}

// filterListing drops hidden names from ListObjectsV2 answers.
func (hp *hideProxy) filterListing(resp *http.Response) error {
	if !resp.Request.URL.Query().Has("list-type") || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	hp.mu.Lock()
	body = listKey.ReplaceAllFunc(body, func(c []byte) []byte {
		k := string(listKey.FindSubmatch(c)[1])
		if d, err := url.QueryUnescape(k); err == nil {
			k = d
		}
		if hp.hidden[k] {
			return nil
		}
		return c
	})
	hp.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// during runs op in the background, waits until the proxy holds one of
// its overwrites of a name that matches hold (hidden from listings from
// then on), runs check, then releases every
// overwrite op makes (a failed test must not leave a request held) and
// fails the test if check failed; it returns op's error.
func (hp *hideProxy) during(t *testing.T, hold string, op func() error, check func() error) error {
	t.Helper()
	hp.mu.Lock()
	hp.hold = regexp.MustCompile(hold)
	hp.mu.Unlock()
	defer func() {
		hp.mu.Lock()
		hp.hold = nil
		hp.mu.Unlock()
	}()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case <-hp.held:
	case err := <-done:
		t.Fatalf("the operation made no overwrite for the proxy to hold (error: %v)", err)
	}
	cerr := check()
	for {
		select {
		case hp.free <- struct{}{}:
		case <-hp.held:
		case err := <-done:
			if cerr != nil {
				t.Fatal(cerr)
			}
			return err
		}
	}
}
