package gateway

import (
	"context"
	"errors"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// # Bucket policies
//
// A bucket's policy is part of its configuration record (bucketConfig),
// kept as the JSON document the client sent (validated by s3api before
// it gets here), in plaintext like the rest of the configuration: it says
// who may do what, not what the data is, and every gateway sharing the
// volume or upstream must read it without a private key. Changes are
// compare-and-swaps of the record (updateConfig), so a policy change never
// loses a concurrent versioning, Object Lock or lifecycle change.

// PutBucketPolicy implements s3api.BucketPolicies.
func (s *Service) PutBucketPolicy(ctx context.Context, bucket, policy string) error {
	o := op{"PutBucketPolicy", bucket, "", ctx}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.Policy = policy
		return nil
	}))
}

// GetBucketPolicy implements s3api.BucketPolicies.
func (s *Service) GetBucketPolicy(ctx context.Context, bucket string) (string, error) {
	o := op{"GetBucketPolicy", bucket, "", ctx}
	bc, err := s.existingConfig(ctx, bucket)
	if err != nil {
		return "", s.fail(o, err)
	}
	if bc.Policy == "" {
		return "", s3api.ErrNoSuchBucketPolicy
	}
	return bc.Policy, nil
}

// DeleteBucketPolicy implements s3api.BucketPolicies.
func (s *Service) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	o := op{"DeleteBucketPolicy", bucket, "", ctx}
	if bc, err := s.existingConfig(ctx, bucket); err != nil || bc.Policy == "" {
		return s.fail(o, err) // nothing to delete is success, as in S3
	}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.Policy = ""
		return nil
	}))
}

// BucketPolicy implements s3api.BucketPolicies: the policy authorization
// applies, one read of the configuration record; "" when there is none
// or the bucket does not exist or cannot (an invalid name: CreateBucket
// answers InvalidBucketName).
func (s *Service) BucketPolicy(ctx context.Context, bucket string) (string, error) {
	bc, _, err := s.readConfig(ctx, bucket)
	if errors.Is(err, backend.ErrNoSuchBucket) || errors.Is(err, backend.ErrInvalidBucket) {
		return "", nil // no such bucket, so no policy: the operation answers for it
	}
	if err != nil {
		return "", s.fail(op{"BucketPolicy", bucket, "", ctx}, err)
	}
	return bc.Policy, nil
}
