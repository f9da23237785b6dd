package gateway

import (
	"context"
	"errors"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// Each version carries its own tags in its own record, so tagging a
// version named by ID is the same metadata rewrite as tagging the current
// object, applied to the file that holds that version (the current key or
// its archive name). The version is found as Object Lock finds it
// (lockTarget): NoSuchVersion for none, MethodNotAllowed for a delete
// marker, and the record must be bound to the ID asked for.

// GetObjectTaggingVersion implements s3api.VersionTagging.
func (s *Service) GetObjectTaggingVersion(ctx context.Context, bucket, key, vid string) ([]s3api.Tag, error) {
	o := op{"GetObjectTagging", bucket, key, ctx}
	_, _, so, err := s.lockTarget(ctx, o, vid)
	if err != nil {
		return nil, err
	}
	tags, err := getTags(so.attrs)
	return tags, s.fail(o, err)
}

// PutObjectTaggingVersion implements s3api.VersionTagging: the version's
// metadata is rewritten guarded by the ModTime read, and read again when
// it changed under the request.
func (s *Service) PutObjectTaggingVersion(ctx context.Context, bucket, key, vid string, tags []s3api.Tag) error {
	o := op{"PutObjectTagging", bucket, key, ctx}
	for attempt := 0; ; attempt++ {
		bk, bi, _, err := s.lockTarget(ctx, o, vid)
		if err != nil {
			return err
		}
		meta, err := s.retag(bucket, key, bi, tags)
		if err != nil {
			return s.fail(o, err)
		}
		_, err = s.be.SetMeta(ctx, bucket, bk, meta, bi.ModTime)
		if errors.Is(err, backend.ErrPrecondition) && attempt < maxTagRetries {
			continue
		}
		return s.fail(o, err)
	}
}
