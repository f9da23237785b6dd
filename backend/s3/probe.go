package s3

import (
	"bytes"
	"context"

	"github.com/minio/minio-go/v7"
)

// probeName is the one upstream object readiness probes write; every
// gateway overwrites the same empty object, so probes leave nothing
// behind.
const probeName = "probe"

// Probe writes a small object to the upstream bucket: it fails while the
// upstream is unreachable, refuses the credentials or refuses writes,
// which is what a gateway's readiness must reflect. The caller bounds it
// with ctx (minio-go retries within it).
func (b *Backend) Probe(ctx context.Context) error {
	_, err := b.core.PutObject(ctx, b.bucket, b.base+probeName, bytes.NewReader(nil), 0, "", "", minio.PutObjectOptions{})
	if err != nil {
		return upstreamErr("probing with a write of", b.base+probeName, err)
	}
	return nil
}
