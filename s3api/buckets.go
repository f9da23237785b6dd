package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"sort"
	"strings"
)

func (rq *request) owner() owner {
	return owner{ID: rq.accessKey, DisplayName: rq.accessKey}
}

// listBuckets answers GET / (ListBuckets). See list_buckets.go for the
// paging parameters.
func (rq *request) listBuckets() error {
	p, err := parseListBucketsParams(rq.q)
	if err != nil {
		return err
	}
	bs, err := rq.h.svc.ListBuckets(rq.r.Context())
	if err != nil {
		return err
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].Name < bs[j].Name })
	res := listAllMyBucketsResult{Xmlns: s3Namespace, Owner: rq.owner(), Buckets: []bucketXML{}, Prefix: p.prefix}
	if p.region != "" && p.region != rq.h.region {
		bs = nil // every bucket lives in this endpoint's region
	}
	for _, b := range bs {
		if !strings.HasPrefix(b.Name, p.prefix) || b.Name <= p.after {
			continue
		}
		if p.max > 0 && len(res.Buckets) == p.max {
			res.ContinuationToken = encodeBucketToken(res.Buckets[len(res.Buckets)-1].Name)
			break
		}
		res.Buckets = append(res.Buckets, bucketXML{
			Name:         b.Name,
			CreationDate: timeISO(b.Created),
			BucketRegion: rq.h.region,
			BucketArn:    bucketARN(b.Name),
		})
	}
	rq.writeXML(http.StatusOK, &res)
	return nil
}

// createBucket answers PUT /bucket, with an optional
// CreateBucketConfiguration whose LocationConstraint must name this
// endpoint's region.
func (rq *request) createBucket() error {
	if !validBucketName(rq.bucket) {
		return ErrInvalidBucketName.WithMessage("The specified bucket is not valid: %q. Bucket names are 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.", truncate(rq.bucket, 100))
	}
	lock := strings.EqualFold(rq.r.Header.Get("x-amz-bucket-object-lock-enabled"), "true")
	if lock && rq.objectLock() == nil {
		return ErrNotImplemented.WithMessage("Object Lock is not implemented by this gateway's object service.")
	}
	// As in IAM: a bucket created with Object Lock also configures the
	// lock and turns versioning on, so the caller needs those rights too.
	if lock && (!rq.allowedExtra("s3:PutBucketObjectLockConfiguration", rq.bucket, "") ||
		!rq.allowedExtra("s3:PutBucketVersioning", rq.bucket, "")) {
		return ErrAccessDenied
	}
	ownership, err := rq.checkCreateBucketOwnership()
	if err != nil {
		return err
	}
	var tags []Tag
	if rq.r.ContentLength != 0 {
		data, err := rq.readDocument("CreateBucketConfiguration", maxCreateBucketBody, ErrMalformedXML)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(data)) > 0 {
			var cfg createBucketConfiguration
			if err := xml.Unmarshal(data, &cfg); err != nil {
				return ErrMalformedXML
			}
			lc := cfg.LocationConstraint
			if lc != "" && lc != rq.h.region && !(lc == "US" && rq.h.region == DefaultRegion) {
				return ErrInvalidLocationConstraint.WithDetail("The %q location constraint is incompatible with this endpoint's region %q.", truncate(lc, 64), rq.h.region)
			}
			// S3 has no "us-east-1" constraint: that region is the one a
			// request without a constraint gets, and naming it is refused.
			if lc == DefaultRegion {
				return ErrInvalidLocationConstraint.WithDetail("us-east-1 is the default: send no LocationConstraint for it.")
			}
			if cfg.Tags != nil {
				tags = cfg.Tags.Tags
			}
		}
	}
	tagger, err := rq.checkCreateBucketTags(tags)
	if err != nil {
		return err
	}
	if err := rq.h.svc.CreateBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	if tagger != nil {
		if err := rq.tagNewBucket(tagger, tags); err != nil {
			return err
		}
	}
	if lock {
		if err := rq.objectLock().EnableObjectLock(rq.r.Context(), rq.bucket); err != nil {
			return err
		}
	}
	if err := rq.setCreatedBucketOwnership(ownership); err != nil {
		return err
	}
	rq.w.Header().Set("Location", "/"+rq.bucket)
	rq.w.Header().Set("x-amz-bucket-arn", bucketARN(rq.bucket))
	rq.noContent(http.StatusOK)
	return nil
}

// bucketARN is a general purpose bucket's ARN, as S3 spells it (no
// region, no account).
func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// headBucket answers HEAD /bucket (and HEAD /bucket/, the form xbcloud
// probes with). A missing bucket is 404, never 403.
func (rq *request) headBucket() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	rq.w.Header().Set("x-amz-bucket-region", rq.h.region)
	rq.noContent(http.StatusOK)
	return nil
}

func (rq *request) deleteBucket() error {
	if err := rq.h.svc.DeleteBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}

// getBucketLocation answers GET ?location; us-east-1 is the empty
// constraint, as in S3.
func (rq *request) getBucketLocation() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	lc := rq.h.region
	if lc == DefaultRegion {
		lc = ""
	}
	rq.writeXML(http.StatusOK, &locationConstraint{Xmlns: s3Namespace, Value: lc})
	return nil
}

// getBucketVersioning answers GET ?versioning. A bucket never versioned
// shows an empty configuration, as in S3.
func (rq *request) getBucketVersioning() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	cfg := versioningConfiguration{Xmlns: s3Namespace}
	if v := rq.versioning(); v != nil {
		st, err := v.GetBucketVersioning(rq.r.Context(), rq.bucket)
		if err != nil {
			return err
		}
		cfg.Status = st
	}
	rq.writeXML(http.StatusOK, &cfg)
	return nil
}

// checkExists makes sub-resource stubs answer NoSuchBucket/NoSuchKey like
// the real thing.
func (rq *request) checkExists() error {
	if rq.key == "" {
		return rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket)
	}
	o, err := rq.h.svc.GetObject(rq.r.Context(), rq.bucket, rq.key)
	if err != nil {
		return err
	}
	return o.Close()
}
