package gateway

import (
	"context"
	"slices"

	"envelopegw/s3api"
)

// # Bucket tags
//
// A bucket's tags are part of its configuration record (bucketConfig,
// versioning.go), changed by compare-and-swap like the lifecycle and
// versioning settings, so they work on every backend and a tag change
// never loses a concurrent configuration change. Like the rest of that
// record they are configuration, not data: stored in plaintext (S3 shows
// bucket tags to billing and to every principal allowed
// s3:GetBucketTagging), unlike object tags, which are sealed with the
// object's metadata.

// PutBucketTagging implements s3api.BucketTagging.
func (s *Service) PutBucketTagging(ctx context.Context, bucket string, tags []s3api.Tag) error {
	o := op{"PutBucketTagging", bucket, "", ctx}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.Tags = slices.Clone(tags)
		return nil
	}))
}

// GetBucketTagging implements s3api.BucketTagging.
func (s *Service) GetBucketTagging(ctx context.Context, bucket string) ([]s3api.Tag, error) {
	o := op{"GetBucketTagging", bucket, "", ctx}
	bc, err := s.existingConfig(ctx, bucket)
	if err != nil {
		return nil, s.fail(o, err)
	}
	if len(bc.Tags) == 0 {
		return nil, s3api.ErrNoSuchTagSet
	}
	return bc.Tags, nil
}

// DeleteBucketTagging implements s3api.BucketTagging.
func (s *Service) DeleteBucketTagging(ctx context.Context, bucket string) error {
	o := op{"DeleteBucketTagging", bucket, "", ctx}
	if bc, err := s.existingConfig(ctx, bucket); err != nil || len(bc.Tags) == 0 {
		return s.fail(o, err) // nothing to delete is success, as in S3
	}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.Tags = nil
		return nil
	}))
}
