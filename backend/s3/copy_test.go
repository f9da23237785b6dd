package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"envelopegw/backend"
	"envelopegw/backend/s3/s3test"
)

// countingTransport counts the body bytes the gateway side sends and
// receives.
type countingTransport struct {
	sent, recv atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body = countingBody{r.Body, &c.sent}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if resp != nil && resp.Body != nil {
		resp.Body = countingBody{resp.Body, &c.recv}
	}
	return resp, err
}

// TestCopyIsServerSide: Copy of a multi-extent object of 12 MiB moves
// no data through the gateway, only records and requests.
func TestCopyIsServerSide(t *testing.T) {
	srv := s3test.StartMinIO(t)
	ct := &countingTransport{}
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Transport: ct})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := New(ctx, Options{Client: c, Bucket: srv.Bucket, Prefix: "copy"})
	if err != nil {
		t.Fatal(err)
	}
	for _, bk := range []string{"src", "dst"} {
		if err := b.CreateBucket(ctx, bk); err != nil {
			t.Fatal(err)
		}
	}
	id, err := b.CreateUpload(ctx, "src", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	var refs []backend.PartRef
	var want []byte
	for n := 1; n <= 2; n++ {
		data := bytes.Repeat([]byte{byte(n)}, 6<<20)
		w, err := b.NewPart(ctx, "src", "k", id, n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		pi, err := w.Commit(nil)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, backend.PartRef{Number: n, ID: pi.Version})
		want = append(want, data...)
	}
	info, err := b.CompleteUpload(ctx, "src", "k", id, refs, backend.Meta{"r": "src"})
	if err != nil {
		t.Fatal(err)
	}

	sent, recv := ct.sent.Load(), ct.recv.Load()
	if _, err := b.Copy(ctx, backend.CopySource{Bucket: "src", Key: "k", Version: info.Version}, "dst", "copy", backend.Meta{"r": "dst"}); err != nil {
		t.Fatal(err)
	}
	ds, dr := ct.sent.Load()-sent, ct.recv.Load()-recv
	t.Logf("Copy of %d bytes: %d bytes sent upstream, %d received", len(want), ds, dr)
	if ds > 64<<10 || dr > 64<<10 {
		t.Fatalf("Copy of %d bytes moved %d bytes up and %d down through the gateway", len(want), ds, dr)
	}
	if err := b.Delete(ctx, "src", "k"); err != nil {
		t.Fatal(err)
	}
	o, err := b.Open(ctx, "dst", "copy")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if n, err := o.ReadAt(got, 0); n != len(want) || err != nil && err != io.EOF {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if !bytes.Equal(got, want) || o.Info().Meta["r"] != "dst" {
		t.Fatalf("copy reads back wrong (meta %v)", o.Info().Meta)
	}
}
