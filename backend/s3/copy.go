package s3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend"
)

// Copy gives dstBucket/dstKey copies of src's data objects, made by the
// upstream itself (ComposeObject: one CopyObject up to 5 GiB, a
// server-side multipart copy beyond), so no data byte passes through the
// gateway; then it publishes a head naming them, as a commit does. The
// copies are objects of their own, so deleting or replacing either
// object leaves the other intact.
func (b *Backend) Copy(ctx context.Context, src backend.CopySource, bucket, key string, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return backend.ObjectInfo{}, err
	}
	where := fmt.Sprintf("s3 backend: copy %s/%.60q to %s/%.60q", src.Bucket, src.Key, bucket, key)
	if err := checkMeta(meta, where); err != nil {
		return backend.ObjectInfo{}, err
	}
	sh, version, err := b.liveHead(ctx, src.Bucket, src.Key)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	if version != src.Version {
		return backend.ObjectInfo{}, fmt.Errorf("%s: version %s is current, not %s: %w", where, version, src.Version, backend.ErrSourceChanged)
	}
	gen, err := b.gen(ctx, bucket)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	ex := make([]extent, 0, len(sh.Extents))
	for _, e := range sh.Extents {
		name := "d/" + bucket + "/" + gen + "/" + randHex(16)
		dst := minio.CopyDestOptions{Bucket: b.bucket, Object: b.base + name}
		from := minio.CopySrcOptions{Bucket: b.bucket, Object: b.base + e.Name}
		if _, err := b.c.ComposeObject(ctx, dst, from); err != nil {
			b.removeExtents(ctx, ex)
			if isNotFound(err) {
				// Data objects never change; a missing one went with a
				// concurrent replace or delete of the source.
				return backend.ObjectInfo{}, fmt.Errorf("%s: %w", where, backend.ErrSourceChanged)
			}
			return backend.ObjectInfo{}, upstreamErr("copying", e.Name, err)
		}
		ex = append(ex, extent{Name: name, Size: e.Size})
	}
	h := &head{Key: key, ModTime: time.Now().UTC(), Meta: binMeta(meta.Clone()), Extents: ex, Nonce: randHex(16)}
	info, err := b.publish(ctx, bucket, gen, h, cond, nil)
	if err != nil {
		if !errors.Is(err, errKept) { // else the new head may name them
			b.removeExtents(ctx, ex)
		}
		return backend.ObjectInfo{}, err
	}
	return info, nil
}
