package gateway

import (
	"context"
	"fmt"

	"envelopegw/s3api"
)

// # CORS configurations
//
// A bucket's CORS configuration is part of its configuration record
// (bucketConfig, versioning.go), as canonical XML, changed by
// compare-and-swap like the lifecycle configuration, so it works on every
// backend and goes with the bucket. It is configuration, not data:
// stored in plaintext, and s3api answers unauthenticated preflights from
// it (which is how browsers use it).

// PutBucketCors implements s3api.BucketCORS.
func (s *Service) PutBucketCors(ctx context.Context, bucket string, cfg *s3api.CORSConfiguration) error {
	o := op{"PutBucketCors", bucket, "", ctx}
	b, err := cfg.Marshal()
	if err != nil {
		return s.fail(o, err)
	}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.CORS = string(b)
		return nil
	}))
}

// GetBucketCors implements s3api.BucketCORS.
func (s *Service) GetBucketCors(ctx context.Context, bucket string) (*s3api.CORSConfiguration, error) {
	o := op{"GetBucketCors", bucket, "", ctx}
	bc, err := s.existingConfig(ctx, bucket)
	if err != nil {
		return nil, s.fail(o, err)
	}
	if bc.CORS == "" {
		return nil, s3api.ErrNoSuchCORSConfiguration
	}
	cfg, err := s3api.ParseCORS([]byte(bc.CORS))
	if err != nil {
		return nil, s.fail(o, fmt.Errorf("gateway: bucket %s: stored CORS configuration does not parse: %v", bucket, err))
	}
	return cfg, nil
}

// DeleteBucketCors implements s3api.BucketCORS.
func (s *Service) DeleteBucketCors(ctx context.Context, bucket string) error {
	o := op{"DeleteBucketCors", bucket, "", ctx}
	if bc, err := s.existingConfig(ctx, bucket); err != nil || bc.CORS == "" {
		return s.fail(o, err) // nothing to delete is success, as in S3
	}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.CORS = ""
		return nil
	}))
}
