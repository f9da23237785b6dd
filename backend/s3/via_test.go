package s3

import (
	"context"
	"net/http"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"envelopegw/backend/s3/s3test"
)

// backendVia returns a backend on srv under prefix whose upstream
// requests go through rt (a test's fault-injecting transport), with the
// bucket "bkt" created.
func backendVia(t *testing.T, srv *s3test.Server, rt http.RoundTripper, prefix string) *Backend {
	t.Helper()
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Region: "us-east-1", Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := New(ctx, Options{Client: c, Bucket: srv.Bucket, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	return b
}
