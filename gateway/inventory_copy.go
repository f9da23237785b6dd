package gateway

import (
	"context"

	"envelopegw/backend"
	"envelopegw/inventory"
)

// Copy logs a copy as what it makes: a new object at bucket/key (a put),
// whose stored bytes the backend shared instead of receiving them.
func (b *loggedBackend) Copy(ctx context.Context, src backend.CopySource, bucket, key string, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	e := entryFor(inventory.KindPut, bucket, key, meta)
	if err := b.intent(ctx, e); err != nil {
		return backend.ObjectInfo{}, err
	}
	info, err := b.Backend.Copy(ctx, src, bucket, key, meta, cond...)
	if err != nil {
		return info, err
	}
	return info, b.done(ctx, e, info.Size)
}
