package s3api

import (
	"context"
	"slices"
)

// The fake keeps bucket configuration the way a Service must: per bucket,
// gone with the bucket.

func (f *fakeService) PutBucketTagging(ctx context.Context, bucket string, tags []Tag) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(bucket)
	if err != nil {
		return err
	}
	b.tags = slices.Clone(tags)
	return nil
}

func (f *fakeService) GetBucketTagging(ctx context.Context, bucket string) ([]Tag, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(bucket)
	if err != nil {
		return nil, err
	}
	if len(b.tags) == 0 {
		return nil, ErrNoSuchTagSet
	}
	return slices.Clone(b.tags), nil
}

func (f *fakeService) DeleteBucketTagging(ctx context.Context, bucket string) error {
	return f.PutBucketTagging(ctx, bucket, nil)
}

func (f *fakeService) PutBucketCors(ctx context.Context, bucket string, cfg *CORSConfiguration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(bucket)
	if err != nil {
		return err
	}
	b.cors = cfg
	return nil
}

func (f *fakeService) GetBucketCors(ctx context.Context, bucket string) (*CORSConfiguration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(bucket)
	if err != nil {
		return nil, err
	}
	if b.cors == nil {
		return nil, ErrNoSuchCORSConfiguration
	}
	return b.cors, nil
}

func (f *fakeService) DeleteBucketCors(ctx context.Context, bucket string) error {
	return f.PutBucketCors(ctx, bucket, nil)
}
