package s3api

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// Bucket tags follow S3's rules: keys and values as for object tags
// (validateTagList), at most MaxBucketTags per bucket (S3 answers more with
// 400 BadRequest, after judging each tag), no duplicate keys. A
// PutBucketTagging replaces the whole set; an empty set removes it, after
// which GetBucketTagging answers 404 NoSuchTagSet as for a bucket never
// tagged. The Service stores them with the bucket's configuration.

// MaxBucketTags is S3's limit of tags on one bucket.
const MaxBucketTags = 50

// BucketTagging is implemented by a Service that stores bucket tags. A
// Service without it answers the bucket ?tagging calls with
// NotImplemented.
type BucketTagging interface {
	// PutBucketTagging replaces bucket's tags with tags, already
	// validated; an empty list removes them.
	PutBucketTagging(ctx context.Context, bucket string, tags []Tag) error
	// GetBucketTagging returns bucket's tags, or ErrNoSuchTagSet when it
	// has none.
	GetBucketTagging(ctx context.Context, bucket string) ([]Tag, error)
	// DeleteBucketTagging removes bucket's tags (none is fine).
	DeleteBucketTagging(ctx context.Context, bucket string) error
}

// ErrBadRequest is S3's code for a few limits it checks before anything
// else, such as the number of bucket tags.
var ErrBadRequest = newErr("BadRequest", http.StatusBadRequest, "Bad Request")

// validateBucketTags applies S3's bucket tag rules.
func validateBucketTags(tags []Tag) error {
	if err := validateTagList(tags); err != nil {
		return err
	}
	if len(tags) > MaxBucketTags {
		return ErrBadRequest.WithMessage("Bucket tag count cannot be greater than %d", MaxBucketTags)
	}
	return nil
}

func (rq *request) bucketTaggingService() (BucketTagging, error) {
	return bucketConfigService[BucketTagging](rq, "Bucket tagging is not implemented by this service.")
}

// getBucketTagging answers GET /bucket?tagging, sorted by key as S3 lists
// a tag set.
func (rq *request) getBucketTagging() error {
	t, err := rq.bucketTaggingService()
	if err != nil {
		return err
	}
	tags, err := t.GetBucketTagging(rq.r.Context(), rq.bucket)
	if err != nil {
		return err
	}
	tags = slices.Clone(tags)
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	doc := taggingDoc{Xmlns: s3Namespace}
	doc.TagSet = &struct {
		Tags []Tag `xml:"Tag"`
	}{Tags: tags}
	rq.writeXML(http.StatusOK, &doc)
	return nil
}

// putBucketTagging answers PUT /bucket?tagging with 204, as S3 does.
func (rq *request) putBucketTagging() error {
	t, err := rq.bucketTaggingService()
	if err != nil {
		return err
	}
	data, err := rq.requiredDocument("Tagging", maxTaggingBody, ErrMalformedXML)
	if err != nil {
		return err
	}
	tags, err := parseTaggingDoc(data)
	if err != nil {
		return err
	}
	if err := validateBucketTags(tags); err != nil {
		return err
	}
	if err := t.PutBucketTagging(rq.r.Context(), rq.bucket, tags); err != nil {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}

// deleteBucketTagging answers DELETE /bucket?tagging: 204 whether or not
// there were tags, as S3 answers.
func (rq *request) deleteBucketTagging() error {
	t, err := rq.bucketTaggingService()
	if err != nil {
		return err
	}
	if err := t.DeleteBucketTagging(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}
