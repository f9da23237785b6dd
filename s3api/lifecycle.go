package s3api

import (
	"context"
	"errors"
	"net/http"

	"envelopegw/lifecycle"
)

// Lifecycle is implemented by a Service that keeps bucket lifecycle
// configurations (package lifecycle) and applies them. A Service without
// it answers the ?lifecycle calls with NotImplemented.
type Lifecycle interface {
	// PutBucketLifecycle replaces bucket's configuration with cfg,
	// already validated.
	PutBucketLifecycle(ctx context.Context, bucket string, cfg *lifecycle.Configuration) error
	// GetBucketLifecycle returns bucket's configuration, or
	// ErrNoSuchLifecycleConfiguration when it has none.
	GetBucketLifecycle(ctx context.Context, bucket string) (*lifecycle.Configuration, error)
	// DeleteBucketLifecycle removes bucket's configuration (none is fine).
	DeleteBucketLifecycle(ctx context.Context, bucket string) error
}

var ErrNoSuchLifecycleConfiguration = newErr("NoSuchLifecycleConfiguration", http.StatusNotFound, "The lifecycle configuration does not exist")

// maxLifecycleBody bounds PutBucketLifecycleConfiguration's body: 1,000
// rules of a few hundred bytes each, as S3 allows.
const maxLifecycleBody = 1 << 20

func (rq *request) lifecycleService() (Lifecycle, error) {
	return bucketConfigService[Lifecycle](rq, "Bucket lifecycle is not implemented by this service.")
}

// putBucketLifecycle answers PUT /bucket?lifecycle.
func (rq *request) putBucketLifecycle() error {
	l, err := rq.lifecycleService()
	if err != nil {
		return err
	}
	data, err := rq.requiredDocument("LifecycleConfiguration", maxLifecycleBody, ErrMalformedXML)
	if err != nil {
		return err
	}
	cfg, err := lifecycle.Parse(data)
	if err != nil {
		return lifecycleError(err)
	}
	if err := l.PutBucketLifecycle(rq.r.Context(), rq.bucket, cfg); err != nil {
		return err
	}
	rq.noContent(http.StatusOK)
	return nil
}

// getBucketLifecycle answers GET /bucket?lifecycle.
func (rq *request) getBucketLifecycle() error {
	l, err := rq.lifecycleService()
	if err != nil {
		return err
	}
	cfg, err := l.GetBucketLifecycle(rq.r.Context(), rq.bucket)
	if err != nil {
		return err
	}
	out := *cfg
	out.Xmlns = s3Namespace
	rq.writeXML(http.StatusOK, &out)
	return nil
}

// deleteBucketLifecycle answers DELETE /bucket?lifecycle: 204 whether or
// not there was a configuration, as S3 answers.
func (rq *request) deleteBucketLifecycle() error {
	l, err := rq.lifecycleService()
	if err != nil {
		return err
	}
	if err := l.DeleteBucketLifecycle(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}

// lifecycleError maps a configuration S3 would refuse to its S3 error.
func lifecycleError(err error) error {
	var le *lifecycle.Error
	if !errors.As(err, &le) {
		return err
	}
	base := ErrMalformedXML
	switch le.Code {
	case ErrInvalidArgument.Code:
		base = ErrInvalidArgument
	case ErrInvalidRequest.Code:
		base = ErrInvalidRequest
	case ErrNotImplemented.Code:
		base = ErrNotImplemented
	}
	return base.WithMessage("%s", le.Message)
}
