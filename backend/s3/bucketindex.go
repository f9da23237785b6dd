package s3

import (
	"context"
	"errors"

	"envelopegw/backend"
)

// The bucket index: ListBuckets walks one empty entry per bucket,
//
//	P/l/<bucket>    bucket index entry (empty)
//
// for the reason the key index exists (index.go): every DeleteBucket
// rewrites the bucket record (its "deleting" mark, then the restore when
// the bucket is not empty), and an upstream listing may leave out a
// record while it is rewritten, so a listing of the records could miss a
// bucket that was never gone. The entry is created before the record and
// removed after it, and whoever removes it looks again and restores it if
// the bucket was created anew meanwhile.

func (b *Backend) bucketIndexName(bucket string) string { return b.base + "l/" + bucket }

// ensureBucketIndex creates the bucket's index entry if it is missing.
func (b *Backend) ensureBucketIndex(ctx context.Context, bucket string) error {
	_, err := b.putJSON(ctx, b.bucketIndexName(bucket), nil, "*")
	if errors.Is(err, backend.ErrPrecondition) {
		return nil
	}
	return err
}

// dropBucketIndex removes the entry of a deleted bucket, and puts it back
// if the bucket was created again meanwhile. A failure leaves a stale
// entry, which ListBuckets skips.
func (b *Backend) dropBucketIndex(ctx context.Context, bucket string) {
	if b.remove(ctx, b.bucketIndexName(bucket)) != nil {
		return
	}
	if _, _, err := b.readBucket(ctx, bucket); !errors.Is(err, backend.ErrNoSuchBucket) {
		b.ensureBucketIndex(ctx, bucket)
	}
}
