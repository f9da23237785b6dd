package testharness

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend/s3/s3test"
)

// The end-to-end suites run a representative subset on a gateway with
// --upstream on the package's shared MinIO (erasure-coded, four drives):
// one MinIO start for the whole package, a prefix per gateway.

// forEachSDKModeAndUpstream is forEachSDKMode plus one run on a gateway
// on the upstream (HTTPS, the SDK's default checksums).
func forEachSDKModeAndUpstream(t *testing.T, f func(t *testing.T, e *sdkEnv)) {
	t.Helper()
	forEachSDKMode(t, f)
	t.Run("upstream", func(t *testing.T) {
		t.Parallel()
		g := Start(t, Options{TLS: true, NoFsync: true, Upstream: s3test.SharedMinIO(t)})
		f(t, &sdkEnv{g: g, c: S3Client(t, g, S3Options{}, checkResponses(t))})
	})
}

// upstreamIf is the shared MinIO if on, else nil (a gateway on --data).
func upstreamIf(t *testing.T, on bool) *s3test.Server {
	if !on {
		return nil
	}
	return s3test.SharedMinIO(t)
}

// assertNoMarkerUpstream reads every upstream object of a gateway on an
// upstream and fails if one holds the marker (or if there is nothing).
// Objects are streamed through a window, never held whole.
func assertNoMarkerUpstream(t *testing.T, g *Gateway, marker []byte) {
	t.Helper()
	srv := g.opts.Upstream
	n := 0
	for o := range srv.Client.ListObjects(context.Background(), srv.Bucket, minio.ListObjectsOptions{Prefix: g.UpstreamPrefix + "/", Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		r, err := srv.Client.GetObject(context.Background(), srv.Bucket, o.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if containsStream(t, r, marker) {
			t.Fatalf("upstream object %s holds the plaintext marker", o.Key)
		}
		r.Close()
		n++
	}
	if n == 0 {
		t.Fatal("nothing stored upstream")
	}
}

// containsStream reports whether r holds m, reading 1 MiB at a time.
func containsStream(t *testing.T, r io.Reader, m []byte) bool {
	buf := make([]byte, 0, 1<<20+len(m))
	chunk := make([]byte, 1<<20)
	for {
		k, err := r.Read(chunk)
		buf = append(buf, chunk[:k]...)
		if bytes.Contains(buf, m) {
			return true
		}
		if len(buf) >= len(m) {
			buf = append(buf[:0], buf[len(buf)-len(m)+1:]...)
		}
		if err == io.EOF {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
