package s3api

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"envelopegw/s3api/checksum"
)

// copySource is a parsed x-amz-copy-source.
type copySource struct{ bucket, key, versionID string }

// parseCopySource parses x-amz-copy-source: "[/]bucket/key[?versionId=v]",
// URL-encoded. The query is split off before decoding, so an encoded "?"
// (%3F) stays part of the key. Only the version "null" exists here.
func parseCopySource(s string) (copySource, error) {
	// S3's sentences, with what exactly was wrong as the detail.
	bad := func(msg, why string) error {
		return ErrInvalidArgument.WithMessage("%s", msg).WithDetail("x-amz-copy-source %q: %s. Use sourcebucket/sourcekey, URL-encoded.", truncate(s, 200), why)
	}
	raw, query, hasQuery := strings.Cut(s, "?")
	vid := ""
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil {
			return copySource{}, bad("Invalid copy source encoding", "malformed query")
		}
		for k := range q {
			if k != "versionId" {
				return copySource{}, bad("Invalid copy source", "unknown parameter "+k)
			}
		}
		vid = q.Get("versionId")
		if err := checkVersionSyntax(vid); err != nil {
			return copySource{}, errInvalidVersionID.WithDetail("x-amz-copy-source %q: the versionId is malformed.", truncate(s, 200))
		}
	}
	path, err := url.PathUnescape(raw)
	if err != nil {
		return copySource{}, bad("Invalid copy source encoding", "bad URL encoding")
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if bucket == "" || key == "" {
		return copySource{}, bad("Invalid copy source object key", "it must name a bucket and a key")
	}
	if !validExistingBucketName(bucket) || net.ParseIP(bucket) != nil {
		return copySource{}, bad("Invalid copy source bucket name", "not a bucket name")
	}
	if err := checkKey(key); err != nil {
		return copySource{}, err
	}
	return copySource{bucket, key, vid}, nil
}

// copySource parses x-amz-copy-source and checks that the user may read
// the source: a copy is a read of the source and a write of the
// destination (as in AWS), so a write-only user cannot copy data out.
func (rq *request) copySource() (copySource, error) {
	src, err := parseCopySource(rq.r.Header.Get("x-amz-copy-source"))
	if err != nil {
		// S3 names a missing destination bucket before a malformed source.
		if herr := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); errors.Is(herr, ErrNoSuchBucket) {
			return src, ErrNoSuchBucket
		}
		return src, err
	}
	if rq.versioning() == nil && src.versionID != "" && src.versionID != "null" {
		return src, errInvalidVersionID.WithDetail("x-amz-copy-source: this gateway's object service keeps no versions, the only version is \"null\".")
	}
	// Reading a named version is s3:GetObjectVersion in AWS.
	action := "s3:GetObject"
	if src.versionID != "" {
		action = "s3:GetObjectVersion"
	}
	if !rq.allowedExtra(action, src.bucket, src.key) {
		return src, ErrAccessDenied
	}
	return src, nil
}

// copyConditions evaluates the x-amz-copy-source-if-* conditions, which
// answer 412 where the GET conditions would answer 304.
func copyConditions(h http.Header, info *ObjectInfo) error {
	err := checkConditions(h, "x-amz-copy-source-", info)
	if errors.Is(err, errNotModified) {
		if h.Get("x-amz-copy-source-if-none-match") != "" {
			return preconditionFailed("x-amz-copy-source-If-None-Match")
		}
		return preconditionFailed("x-amz-copy-source-If-Modified-Since")
	}
	return err
}

// copyChecksumAlgorithm reads x-amz-checksum-algorithm of CopyObject: the
// algorithm of the destination's checksum.
func copyChecksumAlgorithm(h http.Header) (string, error) {
	v := h.Get("x-amz-checksum-algorithm")
	if v == "" {
		return "", nil
	}
	alg := checksum.Canonical(v)
	if alg == "" {
		return "", errUnsupportedChecksumAlgorithm(v)
	}
	return alg, nil
}

// errUnsupportedChecksumAlgorithm is S3's answer to an x-amz-checksum-algorithm
// it does not know: the sentence lists the valid names, sorted.
func errUnsupportedChecksumAlgorithm(v string) error {
	names := slices.Sorted(slices.Values(checksum.Algorithms))
	return ErrInvalidRequest.WithMessage("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [%s]", strings.Join(names, ", ")).
		WithDetail("Unknown algorithm %q.", truncate(v, 50))
}

// copyObject answers PUT /bucket/key with x-amz-copy-source.
func (rq *request) copyObject() error {
	cond, err := parseWriteConditions(rq.r.Header)
	if err != nil {
		return err
	}
	alg, err := copyChecksumAlgorithm(rq.r.Header)
	if err != nil {
		return err
	}
	src, err := rq.copySource()
	if err != nil {
		return err
	}
	replace := false
	switch d := rq.r.Header.Get("x-amz-metadata-directive"); strings.ToUpper(d) {
	case "", "COPY":
	case "REPLACE":
		replace = true
	default:
		return ErrInvalidArgument.WithMessage("Unknown metadata directive.").WithDetail("%q is neither COPY nor REPLACE.", truncate(d, 64))
	}
	// Header errors come before the copy-onto-itself check, as in S3.
	replaceTags, tags, err := rq.copyTags()
	if err != nil {
		return err
	}
	redirect, err := parseWebsiteRedirect(rq.r.Header)
	if err != nil {
		return err
	}
	if src.bucket == rq.bucket && src.key == rq.key && !replace && redirect == "" {
		return ErrInvalidRequest.WithMessage("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	// The metadata headers are judged whatever the directive (S3 refuses
	// oversized x-amz-meta-* on a COPY too); only REPLACE uses them.
	meta, err := parseMeta(rq.r.Header)
	if err != nil {
		return err
	}
	if !replace {
		meta = ObjectMeta{}
	}
	// The copy is a new version: it gets the lock the request asks for
	// (or the bucket's default), never the source's.
	lock, err := rq.lockWrite()
	if err != nil {
		return err
	}
	out, err := rq.h.svc.CopyObject(rq.r.Context(), &CopyObjectInput{
		SrcBucket:    src.bucket,
		SrcKey:       src.key,
		SrcVersionID: src.versionID,
		DstBucket:    rq.bucket,
		DstKey:       rq.key,
		ReplaceMeta:  replace,
		Meta:         meta,
		Redirect:     redirect,
		ReplaceTags:  replaceTags,
		Tags:         tags,
		Cond:         cond,
		Checksum:     alg,
		Lock:         lock,
		SourceCheck: func(info *ObjectInfo) error {
			if err := copyConditions(rq.r.Header, info); err != nil {
				return err
			}
			if info.Size > rq.h.maxObject {
				return ErrInvalidRequest.WithMessage("The specified copy source is larger than the maximum allowable size for a copy source: %d.", rq.h.maxObject)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	rq.setVersionHeader(out.VersionID)
	if out.SrcVersionID != "" {
		rq.w.Header().Set("x-amz-copy-source-version-id", out.SrcVersionID)
	}
	rq.writeXML(http.StatusOK, &copyObjectResult{
		Xmlns:          s3Namespace,
		LastModified:   timeISO(out.LastModified),
		ETag:           quoteETag(out.ETag),
		checksumFields: toChecksumFields(out.Checksums),
		ChecksumType:   out.ChecksumType,
	})
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
