package s3api

import "errors"

// bucketFirst turns NoSuchUpload into NoSuchBucket when the bucket itself
// does not exist: S3 names the missing bucket first, for every upload
// operation, and a client that mistyped the bucket learns that instead of
// hunting for an upload.
func (rq *request) bucketFirst(err error) error {
	if !errors.Is(err, ErrNoSuchUpload) || rq.bucket == "" {
		return err
	}
	if herr := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); errors.Is(herr, ErrNoSuchBucket) {
		return ErrNoSuchBucket
	}
	return err
}

// noBucketFirst turns a refused configuration body into NoSuchBucket when
// the bucket does not exist: S3 names the missing bucket before it reads
// what was sent to it. Only a failed request pays the extra lookup.
func (rq *request) noBucketFirst(err error) error {
	if err == nil || rq.bucket == "" {
		return err
	}
	if herr := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); errors.Is(herr, ErrNoSuchBucket) {
		return ErrNoSuchBucket
	}
	return err
}
