package s3

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"envelopegw/backend"
	"envelopegw/backend/backendtest"
	"envelopegw/backend/s3/s3test"
)

// runContract runs the shared contract suite on one upstream; every
// subtest gets a store of its own under a fresh prefix of the one
// upstream bucket.
func runContract(t *testing.T, srv *s3test.Server) {
	var n atomic.Int64
	backendtest.Run(t, func(t *testing.T) backend.Backend {
		b, err := New(context.Background(), Options{Client: srv.Client, Bucket: srv.Bucket, Prefix: fmt.Sprintf("contract/%d", n.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestContractMinIO(t *testing.T) { runContract(t, s3test.StartMinIO(t)) }

func TestContractVersity(t *testing.T) { runContract(t, s3test.StartVersity(t)) }
