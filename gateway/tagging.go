package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// Object tags are stored with the object's other client-set metadata
// (name tg, see meta.go) and travel the same ways: set by PutObject and
// CreateMultipartUpload, carried by CompleteMultipartUpload, copied or
// replaced by CopyObject. PutObjectTagging rewrites only the metadata
// (backend SetMeta), never the data.

// maxTagRetries bounds PutObjectTagging's read-modify-write retries when
// the object changes under it.
const maxTagRetries = 5

// putTags sets (or, for none, removes) the tags in m.
func putTags(m backend.Meta, tags []s3api.Tag) error {
	delete(m, mTags)
	if len(tags) == 0 {
		return nil
	}
	pairs := make([][2]string, len(tags))
	for i, t := range tags {
		pairs[i] = [2]string{t.Key, t.Value}
	}
	b, err := json.Marshal(pairs)
	if err != nil {
		return fmt.Errorf("gateway: encoding tags: %w", err)
	}
	m[mTags] = string(b)
	return nil
}

func getTags(m backend.Meta) ([]s3api.Tag, error) {
	v := m[mTags]
	if v == "" {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal([]byte(v), &pairs); err != nil {
		return nil, fmt.Errorf("%w: tags: %v", errForeignMeta, err)
	}
	tags := make([]s3api.Tag, len(pairs))
	for i, p := range pairs {
		tags[i] = s3api.Tag{Key: p[0], Value: p[1]}
	}
	return tags, nil
}

// lastModified is the object's S3 Last-Modified: lm when a metadata-only
// change kept it, else the backend's ModTime.
func lastModified(bi backend.ObjectInfo) time.Time {
	return lastModifiedOf(bi.Meta, bi.ModTime)
}

// lastModifiedOf reads lm from attributes (v2: the sealed ones).
func lastModifiedOf(attrs backend.Meta, modTime time.Time) time.Time {
	if v, ok := attrs[mLastModified]; ok {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	return modTime
}

// PutObjectTagging replaces the tags of bucket/key by rewriting its
// metadata, guarded by the ModTime it read: a concurrent write makes it
// read again, so tags never land on a mix of two versions' metadata.
func (s *Service) PutObjectTagging(ctx context.Context, bucket, key string, tags []s3api.Tag) error {
	o := op{"PutObjectTagging", bucket, key, ctx}
	for attempt := 0; ; attempt++ {
		bi, err := s.be.Stat(ctx, bucket, key)
		if err != nil {
			return s.fail(o, err)
		}
		meta, err := s.retag(bucket, key, bi, tags)
		if err != nil {
			return s.fail(o, err)
		}
		_, err = s.be.SetMeta(ctx, bucket, key, meta, bi.ModTime)
		if errors.Is(err, backend.ErrPrecondition) && attempt < maxTagRetries {
			continue
		}
		return s.fail(o, err)
	}
}

// retag is bi's metadata with tags replaced and Last-Modified kept: a new
// record signed for the same name (format v2), or the v1 metadata edited
// in place for a v1 object read with InsecureSkipSigner.
func (s *Service) retag(bucket, key string, bi backend.ObjectInfo, tags []s3api.Tag) (backend.Meta, error) {
	so, err := s.decodeObject(bucket, key, bi)
	if err != nil {
		return nil, err
	}
	attrs := so.attrs.Clone()
	if err := putTags(attrs, tags); err != nil {
		return nil, err
	}
	if _, ok := attrs[mLastModified]; !ok {
		attrs[mLastModified] = bi.ModTime.UTC().Format(time.RFC3339Nano)
	}
	if so.rec == nil {
		return attrs, nil
	}
	return s.resign(bucket, key, so, attrs)
}
