package gateway

import "context"

// existingConfig reads bucket's configuration record after asking the
// backend whether the bucket exists, as every Get and Delete of one of its
// settings (CORS, lifecycle, policy, tags, ownership, Object Lock) starts,
// so that a missing bucket answers as HeadBucket does.
func (s *Service) existingConfig(ctx context.Context, bucket string) (bucketConfig, error) {
	if _, err := s.be.HeadBucket(ctx, bucket); err != nil {
		return bucketConfig{}, err
	}
	bc, _, err := s.readConfig(ctx, bucket)
	return bc, err
}
