package s3api

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// conditionHeaders are request headers S3 exposes as condition keys of
// the same name under "s3:" (s3:x-amz-acl, ...).
var conditionHeaders = []string{
	"x-amz-acl", "x-amz-metadata-directive", "x-amz-storage-class",
	"x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
	"x-amz-content-sha256", "x-amz-grant-read", "x-amz-grant-write",
	"x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control",
}

// requestConditions adds the condition keys that describe the request
// beyond who sent it: time, client, signature version, the headers S3
// names keys after, the Object Lock headers and a named version. Policies
// (user and bucket alike) may test them; a key the request does not carry
// is absent, which the operators treat as AWS does.
func (rq *request) requestConditions(c map[string]string) {
	now := time.Now()
	if rq.h.now != nil {
		now = rq.h.now()
	}
	c["aws:currenttime"] = now.UTC().Format(time.RFC3339)
	c["aws:epochtime"] = strconv.FormatInt(now.Unix(), 10)
	h := rq.r.Header
	if v := h.Get("User-Agent"); v != "" {
		c["aws:useragent"] = v
	}
	if v := h.Get("Referer"); v != "" {
		c["aws:referer"] = v
	}
	if rq.auth != nil {
		c["s3:signatureversion"] = "AWS4-HMAC-SHA256"
		if rq.auth.Version == 2 {
			c["s3:signatureversion"] = "AWS"
		}
	}
	for _, k := range conditionHeaders {
		if v := h.Get(k); v != "" {
			c["s3:"+k] = v
		}
	}
	if v := h.Get("x-amz-copy-source"); v != "" {
		// Keys name the source as bucket/key, without the leading slash.
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		c["s3:x-amz-copy-source"] = strings.TrimPrefix(v, "/")
	}
	for hk, key := range map[string]string{
		"x-amz-object-lock-mode":              "s3:object-lock-mode",
		"x-amz-object-lock-retain-until-date": "s3:object-lock-retain-until-date",
		"x-amz-object-lock-legal-hold":        "s3:object-lock-legal-hold",
	} {
		if v := h.Get(hk); v != "" {
			c[key] = v
		}
	}
	if rq.q.Has("versionId") {
		c["s3:versionid"] = rq.q.Get("versionId")
	}
}
