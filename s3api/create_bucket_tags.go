package s3api

import (
	"context"
	"errors"
)

// CreateBucket may carry the new bucket's tags in its
// CreateBucketConfiguration (<Tags><Tag><Key/><Value/></Tag></Tags>), as
// S3 has allowed since 2025. They follow the bucket tag rules
// (validateBucketTags) and are judged before the bucket is made, so a bad
// tag creates nothing. They are stored as PutBucketTagging stores them,
// and setting them needs s3:PutBucketTagging as that call does. A
// Service that cannot store bucket tags refuses them with NotImplemented
// rather than dropping them.

// createBucketTags is the Tags element of CreateBucketConfiguration.
type createBucketTags struct {
	Tags []Tag `xml:"Tag"`
}

// checkCreateBucketTags validates the tags a CreateBucket asks for and
// returns the Service that will store them (nil when there are none).
func (rq *request) checkCreateBucketTags(tags []Tag) (BucketTagging, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	if err := validateBucketTags(tags); err != nil {
		return nil, err
	}
	t, ok := rq.h.svc.(BucketTagging)
	if !ok {
		return nil, ErrNotImplemented.WithMessage("Bucket tagging is not implemented by this service.")
	}
	if !rq.allowedExtra("s3:PutBucketTagging", rq.bucket, "") {
		return nil, ErrAccessDenied
	}
	return t, nil
}

// tagNewBucket stores a new bucket's tags. If that fails the bucket is
// removed again, so a CreateBucket either makes the bucket with its tags
// or leaves nothing behind.
func (rq *request) tagNewBucket(t BucketTagging, tags []Tag) error {
	ctx := rq.r.Context()
	err := t.PutBucketTagging(ctx, rq.bucket, tags)
	if err == nil {
		return nil
	}
	if derr := rq.h.svc.DeleteBucket(context.WithoutCancel(ctx), rq.bucket); derr != nil {
		return errors.Join(err, derr)
	}
	return err
}
