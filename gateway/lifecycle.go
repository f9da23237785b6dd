package gateway

import (
	"context"
	"fmt"

	"envelopegw/lifecycle"
	"envelopegw/s3api"
)

// # Lifecycle configurations
//
// A bucket's lifecycle configuration is part of its configuration record
// (bucketConfig, under the reserved key of versioning.go), as canonical
// XML: it is configuration, not data, so it is stored in plaintext, and
// every gateway and janitor reads it without a private key. Changes are
// compare-and-swaps of that record (updateConfig), so a configuration
// change never loses a concurrent versioning or Object Lock change, and
// each gateway sees one configuration or the next, never a mix. Listings
// pass over the record and DeleteBucket removes it with the bucket.

// PutBucketLifecycle implements s3api.Lifecycle.
func (s *Service) PutBucketLifecycle(ctx context.Context, bucket string, cfg *lifecycle.Configuration) error {
	o := op{"PutBucketLifecycleConfiguration", bucket, "", ctx}
	b, err := cfg.Marshal()
	if err != nil {
		return s.fail(o, err)
	}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.Lifecycle = string(b)
		return nil
	}))
}

// GetBucketLifecycle implements s3api.Lifecycle.
func (s *Service) GetBucketLifecycle(ctx context.Context, bucket string) (*lifecycle.Configuration, error) {
	o := op{"GetBucketLifecycleConfiguration", bucket, "", ctx}
	bc, err := s.existingConfig(ctx, bucket)
	if err != nil {
		return nil, s.fail(o, err)
	}
	cfg, err := parseStoredLifecycle(bucket, bc)
	if err != nil {
		return nil, s.fail(o, err)
	}
	if cfg == nil {
		return nil, s3api.ErrNoSuchLifecycleConfiguration
	}
	return cfg, nil
}

// DeleteBucketLifecycle implements s3api.Lifecycle.
func (s *Service) DeleteBucketLifecycle(ctx context.Context, bucket string) error {
	o := op{"DeleteBucketLifecycle", bucket, "", ctx}
	if bc, err := s.existingConfig(ctx, bucket); err != nil || bc.Lifecycle == "" {
		return s.fail(o, err) // nothing to delete is success, as in S3
	}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.Lifecycle = ""
		return nil
	}))
}

// parseStoredLifecycle returns the lifecycle configuration in bc, nil when
// there is none.
func parseStoredLifecycle(bucket string, bc bucketConfig) (*lifecycle.Configuration, error) {
	if bc.Lifecycle == "" {
		return nil, nil
	}
	cfg, err := lifecycle.Parse([]byte(bc.Lifecycle))
	if err != nil {
		return nil, fmt.Errorf("gateway: bucket %s: stored lifecycle configuration does not parse: %w", bucket, err)
	}
	return cfg, nil
}
