package gateway

import (
	"context"

	"envelopegw/s3api"
)

// # Object Ownership
//
// A bucket's Object Ownership setting is part of its configuration record
// (bucketConfig, versioning.go), so it works on every backend and goes
// with the bucket. The record keeps "" for BucketOwnerEnforced, S3's
// default (and so every bucket made before the setting existed), and
// ownershipNone once the controls were deleted. What the setting changes
// is s3api's business (s3api.BucketOwnership).

const (
	ownershipEnforced = "BucketOwnerEnforced"
	ownershipNone     = "none"
)

// GetBucketOwnership implements s3api.BucketOwnership.
func (s *Service) GetBucketOwnership(ctx context.Context, bucket string) (string, error) {
	o := op{"GetBucketOwnership", bucket, "", ctx}
	bc, err := s.existingConfig(ctx, bucket)
	if err != nil {
		return "", s.fail(o, err)
	}
	switch bc.Ownership {
	case "":
		return ownershipEnforced, nil
	case ownershipNone:
		return "", nil
	}
	return bc.Ownership, nil
}

// PutBucketOwnership implements s3api.BucketOwnership.
func (s *Service) PutBucketOwnership(ctx context.Context, bucket, ownership string) error {
	o := op{"PutBucketOwnership", bucket, "", ctx}
	switch ownership {
	case ownershipEnforced:
		ownership = ""
	case "":
		ownership = ownershipNone
	}
	return s.fail(o, s.updateConfig(ctx, bucket, func(c *bucketConfig) error {
		c.Ownership = ownership
		return nil
	}))
}

var _ s3api.BucketOwnership = (*Service)(nil)
