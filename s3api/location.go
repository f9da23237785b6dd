package s3api

import (
	"net/url"
	"strings"
)

// objectURL is the absolute URL of bucket/key as the client addressed this
// endpoint, which S3 returns as the Location of CompleteMultipartUpload:
// the scheme of the connection, the Host the client sent, and the bucket
// in the path or in the host as the request had it. Key segments are
// escaped so that the URL names exactly that key.
func (rq *request) objectURL() string {
	scheme := "http"
	if rq.r.TLS != nil {
		scheme = "https"
	}
	segs := strings.Split(rq.key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	path := "/" + strings.Join(segs, "/")
	if rq.hostBucket == "" {
		path = "/" + url.PathEscape(rq.bucket) + path
	}
	return scheme + "://" + rq.r.Host + path
}
