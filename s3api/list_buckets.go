package s3api

import (
	"encoding/base64"
	"net/url"
	"strconv"
)

// ListBuckets paging, as the S3 API reference describes it: max-buckets
// (1 to 10000) caps a page; without it, a request that names prefix,
// continuation-token or bucket-region gets pages of 10000, and a bare
// request gets every bucket, as S3 answered before paging existed. The
// ContinuationToken of a truncated page is the base64url form of its last
// bucket name, like ListObjectsV2's: opaque to clients, stateless here.
// bucket-region filters by region, and every bucket of this gateway lives
// in its one region.

const (
	maxListBuckets     = 10000
	defaultBucketsPage = 10000
)

type listBucketsParams struct {
	prefix, region string
	after          string // from the continuation token
	max            int    // 0: no limit
}

func parseListBucketsParams(q url.Values) (listBucketsParams, error) {
	p := listBucketsParams{prefix: q.Get("prefix"), region: q.Get("bucket-region")}
	if q.Has("prefix") || q.Has("bucket-region") || q.Has("continuation-token") {
		p.max = defaultBucketsPage
	}
	if q.Has("max-buckets") {
		v := q.Get("max-buckets")
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListBuckets {
			return p, ErrInvalidArgument.WithMessage("Argument max-buckets must be an integer between 1 and %d.", maxListBuckets).WithDetail("max-buckets %q.", truncate(v, 50))
		}
		p.max = n
	}
	// An empty token starts from the beginning: S3's minimum length is 0.
	if t := q.Get("continuation-token"); t != "" {
		name, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || len(t) > 1024 {
			return p, ErrInvalidArgument.WithMessage("The continuation token provided is incorrect.")
		}
		p.after = string(name)
	}
	return p, nil
}

func encodeBucketToken(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(name))
}
