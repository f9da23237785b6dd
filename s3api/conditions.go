package s3api

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

// errNotModified is the outcome "answer 304" of a GET or HEAD condition.
var errNotModified = errors.New("not modified")

// checkConditions evaluates If-Match, If-Unmodified-Since, If-None-Match
// and If-Modified-Since (with prefix "x-amz-copy-source-" the copy-source
// variants) against info, in the order of RFC 9110 section 13.2.2, which is
// also S3's: a true If-Match overrides a false If-Unmodified-Since, and a
// present If-None-Match makes If-Modified-Since irrelevant.
//
// It returns nil, ErrPreconditionFailed, or errNotModified (for copies,
// where S3 has no 304, the caller turns it into PreconditionFailed).
// Malformed dates are ignored, as HTTP requires.
func checkConditions(h http.Header, prefix string, info *ObjectInfo) error {
	get := func(name string) (string, bool) {
		vs := h.Values(prefix + name)
		if len(vs) == 0 {
			return "", false
		}
		return strings.Join(vs, ","), true
	}
	modified := func(v string) (bool, bool) {
		t, err := http.ParseTime(v)
		if err != nil {
			return false, false
		}
		return info.LastModified.Truncate(time.Second).After(t), true
	}

	if v, ok := get("If-Match"); ok {
		if !etagMatches(v, info.ETag) {
			return preconditionFailed(prefix + "If-Match")
		}
	} else if v, ok := get("If-Unmodified-Since"); ok {
		if mod, valid := modified(v); valid && mod {
			return preconditionFailed(prefix + "If-Unmodified-Since")
		}
	}
	if v, ok := get("If-None-Match"); ok {
		if etagMatches(v, info.ETag) {
			return errNotModified
		}
	} else if v, ok := get("If-Modified-Since"); ok {
		if mod, valid := modified(v); valid && !mod {
			return errNotModified
		}
	}
	return nil
}

// etagMatches reports whether the entity-tag list v (or "*") names etag.
// Comparison is weak, like S3's: W/ prefixes and quotes are ignored.
func etagMatches(v, etag string) bool {
	for _, t := range strings.Split(v, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || (t != "" && unquoteETag(t) == etag) {
			return true
		}
	}
	return false
}
