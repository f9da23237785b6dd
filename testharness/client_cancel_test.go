package testharness

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// cancelingBody sends n bytes, then tells the test and waits for the
// request to be canceled, as a backup job killed mid-upload.
type cancelingBody struct {
	ctx  context.Context
	n    int
	sent chan struct{}
}

func (b *cancelingBody) Read(p []byte) (int, error) {
	if b.n == 0 {
		if b.sent != nil {
			close(b.sent)
			b.sent = nil
		}
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	}
	k := min(len(p), b.n)
	for i := range p[:k] {
		p[i] = 'c'
	}
	b.n -= k
	return k, nil
}

// TestClientCanceledRequests is issue 8's item 7 with a real client: an
// aws-sdk-go-v2 upload canceled halfway through its body, and a download
// canceled after its first MiB. Neither is the server's failure: the log
// says what happened at info level (the upload as 499 RequestCanceled
// with its cause), /metrics counts no 5xx and no backend error, nothing
// is stored, and the gateway serves on.
func TestClientCanceledRequests(t *testing.T) {
	t.Parallel()
	// HTTPS: the SDK streams a body it cannot seek only as aws-chunked
	// with a trailing checksum, which it sends only over TLS.
	g, admin := startWithAdmin(t, Options{NoFsync: true, TLS: true})
	c := S3Client(t, g, S3Options{})
	bucket := newBucket(t, c)
	put(t, c, bucket, "big", Data(5, 16*mib))

	ctx, cancel := context.WithCancel(context.Background())
	body := &cancelingBody{ctx: ctx, n: 2 * mib, sent: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("canceled"), Body: body, ContentLength: aws.Int64(8 * mib)})
		done <- err
	}()
	select {
	case <-body.sent:
	case err := <-done:
		t.Fatalf("upload ended before its body did: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // let the bytes reach the gateway
	cancel()
	if err := <-done; err == nil {
		t.Fatal("canceled upload succeeded")
	}

	gctx, gcancel := context.WithCancel(context.Background())
	out, err := c.GetObject(gctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(out.Body, make([]byte, mib)); err != nil {
		t.Fatal(err)
	}
	gcancel()
	out.Body.Close()

	if !g.AwaitLog("op=GetObject") {
		t.Fatal("the canceled download was not logged")
	}
	awaitMetric(t, admin, "envelopegw_s3_requests_total", map[string]string{"operation": "PutObject", "status": "499"}, func(v float64) bool { return v == 1 })
	for _, l := range strings.Split(g.Log(), "\n") {
		if !strings.Contains(l, "key=canceled") && !strings.Contains(l, "key=big") {
			continue
		}
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			t.Errorf("a client's cancel logged as a server problem: %s", l)
		}
		if strings.Contains(l, "key=canceled") && strings.Contains(l, "op=PutObject") && (!strings.Contains(l, "status=499") || !strings.Contains(l, "error=RequestCanceled") || !strings.Contains(l, "detail=")) {
			t.Errorf("canceled upload: want status=499 error=RequestCanceled with its cause: %s", l)
		}
	}
	fams := scrape(t, admin)
	for _, m := range fams["envelopegw_s3_requests_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "status" && strings.HasPrefix(lp.GetValue(), "5") && m.GetCounter().GetValue() > 0 {
				t.Errorf("a client's cancel counted as a server error: %v", m)
			}
		}
	}
	if m := fams["envelopegw_backend_errors_total"]; m != nil {
		for _, s := range m.GetMetric() {
			if s.GetCounter().GetValue() > 0 {
				t.Errorf("a client's cancel counted as a backend error: %v", s)
			}
		}
	}
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("canceled")}); err == nil {
		t.Error("the canceled upload was stored")
	}
	if tmp := tmpFiles(g.DataDir); len(tmp) > 0 {
		t.Errorf("the canceled upload left temporary files: %v", tmp)
	}
}
