package s3

import (
	"context"
	"errors"

	"envelopegw/backend"
)

// The key index. An upstream listing is not guaranteed to show an object
// while it is being overwritten: MinIO's erasure-coded listing was seen
// to leave out a head that a concurrent replace was rewriting, so a
// listing of the heads could miss a key that existed the whole time.
// Listings therefore walk index entries instead, one empty upstream object
// per key, which a replace never writes:
//
//	i/<bucket>/<gen>/<key name>    index entry (empty), same name as the head
//
// An entry is created (If-None-Match: *) before the head that makes its
// key live, and removed after the head is gone; whoever removes one then
// looks at the head again and restores the entry if a new head appeared
// meanwhile. So every live head has an entry, except in the instant that
// a delete and a re-create of the same key overlap. An entry without a
// live head (a crash between the two writes, a tombstone) is skipped by
// readers, which read the head with a GET for every listed key anyway.

func (b *Backend) indexName(bucket, gen, key string) string {
	return b.space("i", bucket, gen) + keyName(key)
}

// ensureIndex creates the index entry of key if it is missing; an
// existing entry is left as it is, so it is never overwritten.
func (b *Backend) ensureIndex(ctx context.Context, bucket, gen, key string) error {
	_, err := b.putJSON(ctx, b.indexName(bucket, gen, key), nil, "*")
	if errors.Is(err, backend.ErrPrecondition) {
		return nil
	}
	return err
}

// dropIndex removes the index entry of a key whose head was removed, and
// puts it back if a concurrent writer made the key live again meanwhile.
// Failures leave a stale entry, which readers skip.
func (b *Backend) dropIndex(ctx context.Context, bucket, gen, key string) {
	if b.remove(ctx, b.indexName(bucket, gen, key)) != nil {
		return
	}
	if _, _, live, err := b.readHead(ctx, bucket, gen, key); err != nil || live {
		b.ensureIndex(ctx, bucket, gen, key)
	}
}
