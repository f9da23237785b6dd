package testharness

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"

	"envelopegw/backend/s3/s3test"
)

// TestUpstreamStoppedMidUpload: the upstream MinIO dies while a PUT is
// half sent (an upstream multipart upload under way). The client gets a
// retryable 503, readiness turns 503 naming the upstream, nothing of the
// object becomes visible; once MinIO is back the gateway is ready again
// and the client's retry succeeds.
func TestUpstreamStoppedMidUpload(t *testing.T) {
	t.Parallel()
	srv := s3test.StartMinIO(t) // its own: this test stops it
	g, admin := startWithAdmin(t, Options{Upstream: srv, NoFsync: true, Args: []string{"--health-probe-interval", "100ms"}})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	waitReady(t, admin, 200)

	const size = 12 << 20 // the first half fills an upstream part
	u := startSlowUpload(t, g, "/"+b+"/db.xb", size)
	time.Sleep(500 * time.Millisecond) // the first half reaches the upstream
	srv.Stop()
	if body := waitReady(t, admin, 503); !strings.Contains(body, "upstream") {
		t.Errorf("/health/ready with the upstream down says %q, want it to name the upstream", body)
	}
	u.w.Write(u.rest) // the gateway may answer (and stop reading) first
	u.w.Close()
	var err error
	select {
	case err = <-u.result:
	case <-time.After(3 * time.Minute):
		t.Fatal("no answer to the PUT within 3 minutes of the upstream's death")
	}
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("PUT while the upstream is down: %v, want a 503", err)
	}
	if !strings.Contains(err.Error(), "ServiceUnavailable") && !strings.Contains(err.Error(), "SlowDown") {
		t.Errorf("503 without a retryable S3 code: %v", err)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.WaitReady(wctx); err != nil {
		t.Fatal(err)
	}
	waitReady(t, admin, 200)
	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("db.xb")})
	wantAPIError(t, err, "NotFound", 404)

	data := Data(77, size) // the client's retry, as its retryer would send it
	put(t, c, b, "db.xb", data)
	if got := get(t, c, b, "db.xb"); !bytes.Equal(got, data) {
		t.Fatalf("after the retry GET returned %d bytes that differ", len(got))
	}
}

// faultProxy is a reverse proxy to an upstream that answers 503 SlowDown
// instead of forwarding: every request while down is set, else every
// every-th request (0: none).
type faultProxy struct {
	down     atomic.Bool
	every    atomic.Int64
	n        atomic.Int64
	injected atomic.Int64
}

func startFaultProxy(t *testing.T, target string) (*faultProxy, string) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	fp := &faultProxy{}
	rp := httputil.NewSingleHostReverseProxy(u) // keeps the Host the client signed
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := fp.every.Load()
		if fp.down.Load() || e > 0 && fp.n.Add(1)%e == 0 {
			fp.injected.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected by the test</Message></Error>`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return fp, ts.URL
}

// TestUpstreamAnswers503: behind a proxy that turns every third upstream
// request into 503 SlowDown, uploads (single and multipart) and reads
// through the gateway still succeed: the gateway retries with backoff.
// With the upstream answering only 503, the client gets a clean 503 and
// no object appears; once it recovers, the client's retry succeeds.
func TestUpstreamAnswers503(t *testing.T) {
	t.Parallel()
	srv := s3test.SharedMinIO(t)
	fp, purl := startFaultProxy(t, srv.URL())
	proxied := *srv
	proxied.Endpoint = strings.TrimPrefix(purl, "http://")
	g := Start(t, Options{Upstream: &proxied, NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)

	fp.every.Store(3)
	small, big := Data(31, 300_000), Data(32, 11<<20)
	put(t, c, b, "small", small)
	mc := MinioClient(t, g) // streams big as a multipart upload
	if _, err := mc.PutObject(context.Background(), b, "big", bytes.NewReader(big), -1, minio.PutObjectOptions{PartSize: 5 << 20}); err != nil {
		t.Fatalf("multipart PUT through a flaky upstream: %v", err)
	}
	for key, want := range map[string][]byte{"small": small, "big": big} {
		if got := get(t, c, b, key); !bytes.Equal(got, want) {
			t.Fatalf("%s reads back %d bytes that differ", key, len(got))
		}
	}
	if fp.injected.Load() == 0 {
		t.Fatal("the proxy injected no 503")
	}

	fp.down.Store(true)
	t0 := time.Now()
	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("later"), Body: bytes.NewReader(small)})
	wantAPIError(t, err, "ServiceUnavailable", 503)
	t.Logf("503 after %v of upstream retries", time.Since(t0).Round(time.Millisecond))
	fp.down.Store(false)
	fp.every.Store(0)
	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("later")})
	wantAPIError(t, err, "NotFound", 404)
	put(t, c, b, "later", small)
	if got := get(t, c, b, "later"); !bytes.Equal(got, small) {
		t.Fatal("the retried PUT reads back different bytes")
	}
}
