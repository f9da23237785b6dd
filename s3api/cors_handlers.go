package s3api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
)

// BucketCORS is implemented by a Service that stores bucket CORS
// configurations. A Service without it answers the ?cors calls with
// NotImplemented and every preflight with 403 (CORS not enabled).
type BucketCORS interface {
	// PutBucketCors replaces bucket's configuration with cfg, already
	// validated.
	PutBucketCors(ctx context.Context, bucket string, cfg *CORSConfiguration) error
	// GetBucketCors returns bucket's configuration, or
	// ErrNoSuchCORSConfiguration when it has none.
	GetBucketCors(ctx context.Context, bucket string) (*CORSConfiguration, error)
	// DeleteBucketCors removes bucket's configuration (none is fine).
	DeleteBucketCors(ctx context.Context, bucket string) error
}

func (rq *request) corsService() (BucketCORS, error) {
	return bucketConfigService[BucketCORS](rq, "Bucket CORS is not implemented by this service.")
}

// putBucketCors answers PUT /bucket?cors.
func (rq *request) putBucketCors() error {
	c, err := rq.corsService()
	if err != nil {
		return err
	}
	data, err := rq.requiredDocument("CORSConfiguration", maxCORSBody, ErrMalformedXML)
	if err != nil {
		return err
	}
	cfg, err := ParseCORS(data)
	if err != nil {
		return err
	}
	if err := c.PutBucketCors(rq.r.Context(), rq.bucket, cfg); err != nil {
		return err
	}
	rq.noContent(http.StatusOK)
	return nil
}

// getBucketCors answers GET /bucket?cors.
func (rq *request) getBucketCors() error {
	c, err := rq.corsService()
	if err != nil {
		return err
	}
	cfg, err := c.GetBucketCors(rq.r.Context(), rq.bucket)
	if err != nil {
		return err
	}
	out := *cfg
	out.Xmlns = s3Namespace
	rq.writeXML(http.StatusOK, &out)
	return nil
}

// deleteBucketCors answers DELETE /bucket?cors: 204 whether or not there
// was a configuration, as S3 answers.
func (rq *request) deleteBucketCors() error {
	c, err := rq.corsService()
	if err != nil {
		return err
	}
	if err := c.DeleteBucketCors(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}

// preflight answers OPTIONS, the browser's CORS preflight. It is the only
// request served without a signature: browsers send none. It reads no
// body, runs no operation and answers from the bucket's CORS rules alone.
func (rq *request) preflight() {
	rq.op = OpPreflightCORS
	rq.routed = true
	rq.h.observe.Routed(rq.op)
	if err := rq.answerPreflight(); err != nil {
		rq.fail(err)
	}
}

func (rq *request) answerPreflight() error {
	h := rq.r.Header
	switch {
	case rq.bucket == "":
		return ErrMethodNotAllowed
	case !validExistingBucketName(rq.bucket):
		return ErrInvalidBucketName.WithMessage("The specified bucket is not valid: %q.", truncate(rq.bucket, 100))
	}
	origin := h.Get("Origin")
	if origin == "" {
		return ErrBadRequest.WithMessage("Insufficient information. Origin request header needed.")
	}
	method := h.Get("Access-Control-Request-Method")
	if !slices.Contains(corsMethods, method) {
		return ErrBadRequest.WithMessage("Invalid Access-Control-Request-Method: %s", truncate(method, 64))
	}
	requested, err := requestedHeaders(h.Get("Access-Control-Request-Headers"))
	if err != nil {
		return err
	}
	cfg, err := rq.bucketCORS()
	if err != nil {
		return err
	}
	// S3 names the method asked about and what it addresses.
	resource := "OBJECT"
	if rq.key == "" {
		resource = "BUCKET"
	}
	if cfg == nil {
		return ErrCORSNotEnabled.WithField("Method", method).WithField("ResourceType", resource)
	}
	m, ok := cfg.match(origin, method, requested)
	if !ok {
		return ErrCORSForbidden.WithField("Method", method).WithField("ResourceType", resource)
	}
	m.setHeaders(rq.w.Header(), origin, requested)
	rq.noContent(http.StatusOK)
	return nil
}

// requestedHeaders splits a preflight's Access-Control-Request-Headers
// into lower-case names, refusing any that is not a header name.
func requestedHeaders(v string) ([]string, error) {
	var out []string
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	for _, raw := range strings.Split(v, ",") {
		name := strings.Trim(raw, " \t")
		if name == "" {
			continue
		}
		if !validHeaderName(name) {
			return nil, ErrBadRequest.WithMessage("Access-Control-Request-Headers \"%s\" contains invalid character.", truncate(raw, 128))
		}
		out = append(out, strings.ToLower(name))
	}
	return out, nil
}

// bucketCORS returns the bucket's CORS configuration, nil when it has
// none or does not exist (alike, so that unauthenticated preflights
// cannot tell the two apart).
func (rq *request) bucketCORS() (*CORSConfiguration, error) {
	c, ok := rq.h.svc.(BucketCORS)
	if !ok {
		return nil, nil
	}
	cfg, err := c.GetBucketCors(rq.r.Context(), rq.bucket)
	switch {
	case errors.Is(err, ErrNoSuchCORSConfiguration), errors.Is(err, ErrNoSuchBucket):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return cfg, nil
}

// setCORSHeaders adds, to an authenticated and authorized request that
// carries Origin, the Access-Control-* headers of the bucket's first rule
// allowing that origin and the request's method, so that the browser
// hands the answer (success or S3 error) to the page. Without a matching
// rule nothing is added, as in S3; a failure to read the configuration
// only costs the headers.
func (rq *request) setCORSHeaders() {
	origin := rq.r.Header.Get("Origin")
	if origin == "" || rq.bucket == "" {
		return
	}
	cfg, err := rq.bucketCORS()
	if err != nil || cfg == nil {
		return
	}
	if m, ok := cfg.match(origin, rq.r.Method, nil); ok {
		m.setHeaders(rq.w.Header(), origin, nil)
	}
}
