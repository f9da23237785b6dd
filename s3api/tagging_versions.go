package s3api

import (
	"context"
)

// VersionTagging is implemented by a Service whose versions each carry
// their own tags, as in S3: Get/Put/DeleteObjectTagging with a versionId
// read or replace the tags of that version only.
type VersionTagging interface {
	// GetObjectTaggingVersion returns the tags of version vid of
	// bucket/key: NoSuchVersion when there is none, MethodNotAllowed
	// when vid names a delete marker.
	GetObjectTaggingVersion(ctx context.Context, bucket, key, vid string) ([]Tag, error)
	// PutObjectTaggingVersion replaces them (none removes them).
	PutObjectTaggingVersion(ctx context.Context, bucket, key, vid string, tags []Tag) error
}

// taggedVersion is the Service's VersionTagging and the checked versionId
// when the request names a version and the Service keeps per-version
// tags; nil otherwise (the request is about the current object, or the
// Service only accepts "null").
func (rq *request) taggedVersion() (VersionTagging, string, error) {
	if !rq.q.Has("versionId") {
		return nil, "", nil
	}
	vt, ok := rq.h.svc.(VersionTagging)
	if !ok {
		return nil, "", checkVersionID(rq.q)
	}
	vid := rq.q.Get("versionId")
	return vt, vid, checkVersionSyntax(vid)
}

// getVersionTagging answers GET ?tagging&versionId=: the version's tags,
// and its ID in x-amz-version-id, as S3 sends it.
func (rq *request) getVersionTagging(vt VersionTagging, vid string) error {
	tags, err := vt.GetObjectTaggingVersion(rq.r.Context(), rq.bucket, rq.key, vid)
	if err != nil {
		return err
	}
	rq.setVersionHeader(vid)
	rq.writeTagSet(tags)
	return nil
}

// putVersionTagging answers PUT and DELETE ?tagging&versionId= (DELETE
// is a PUT of no tags, answered 204).
func (rq *request) putVersionTagging(vt VersionTagging, vid string, tags []Tag, status int) error {
	if err := vt.PutObjectTaggingVersion(rq.r.Context(), rq.bucket, rq.key, vid, tags); err != nil {
		return err
	}
	rq.setVersionHeader(vid)
	rq.noContent(status)
	return nil
}
