package s3api

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DeleteConditions are the preconditions of a conditional DeleteObject
// (If-Match, x-amz-if-match-last-modified-time, x-amz-if-match-size; in
// DeleteObjects the ETag, LastModifiedTime and Size of an Object entry).
// All that are set must hold. The zero value is unconditional. A Service
// holds them atomically with the delete, as it does WriteConditions.
type DeleteConditions struct {
	IfMatch        string    // an ETag without quotes, or "*" (any object); "" = none
	IfLastModified time.Time // zero = none; compared to the second, as HTTP dates carry
	IfSize         *int64    // plaintext size; nil = none
}

// Set reports whether there is any condition.
func (c DeleteConditions) Set() bool {
	return c.IfMatch != "" || !c.IfLastModified.IsZero() || c.IfSize != nil
}

// Check evaluates c against the current object, nil when there is none.
// For a missing object S3 answers NoSuchKey when If-Match was sent (the
// object it names is not there) and success otherwise; Check returns
// ErrNoSuchKey in both cases and the handler tells them apart with
// Answers404. A present object that fails a condition is
// ErrPreconditionFailed.
func (c DeleteConditions) Check(info *ObjectInfo) error {
	if info == nil {
		return ErrNoSuchKey
	}
	fail := func(what string) error {
		return preconditionFailed(what)
	}
	if c.IfMatch != "" && !etagMatches(c.IfMatch, info.ETag) {
		return fail("If-Match")
	}
	if !c.IfLastModified.IsZero() && !info.LastModified.Truncate(time.Second).Equal(c.IfLastModified.Truncate(time.Second)) {
		return fail("x-amz-if-match-last-modified-time")
	}
	if c.IfSize != nil && *c.IfSize != info.Size {
		return fail("x-amz-if-match-size")
	}
	return nil
}

// Answers404 reports whether a delete of a missing object under c is
// answered 404 NoSuchKey rather than 204: S3 does so when If-Match was
// sent.
func (c DeleteConditions) Answers404() bool { return c.IfMatch != "" }

// parseDeleteConditions reads the conditional headers of DeleteObject.
func parseDeleteConditions(h http.Header) (DeleteConditions, error) {
	var c DeleteConditions
	if vs := h.Values("If-Match"); len(vs) > 0 {
		v := strings.TrimSpace(vs[0])
		if len(vs) != 1 || v == "" || strings.Contains(v, ",") {
			return c, ErrNotImplemented.WithMessage("If-Match on DeleteObject accepts one entity tag or *.")
		}
		if v != "*" {
			v = unquoteETag(v)
		}
		c.IfMatch = v
	}
	if h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" || h.Get("If-Unmodified-Since") != "" {
		return c, ErrNotImplemented.WithMessage("DeleteObject supports only If-Match, x-amz-if-match-last-modified-time and x-amz-if-match-size as conditions.")
	}
	if v := h.Get("x-amz-if-match-last-modified-time"); v != "" {
		t, err := parseHTTPOrISOTime(v)
		if err != nil {
			return c, ErrInvalidArgument.WithMessage("Invalid x-amz-if-match-last-modified-time: %q.", truncate(v, 64))
		}
		c.IfLastModified = t
	}
	if v := h.Get("x-amz-if-match-size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return c, ErrInvalidArgument.WithMessage("Invalid x-amz-if-match-size: %q.", truncate(v, 64))
		}
		c.IfSize = &n
	}
	return c, nil
}

// AbortConditions are the preconditions of AbortMultipartUpload
// (x-amz-if-match-initiated-time).
type AbortConditions struct {
	IfInitiated time.Time // zero = none; compared to the second
}

// Check evaluates c against an upload initiated at initiated.
func (c AbortConditions) Check(initiated time.Time) error {
	if !c.IfInitiated.IsZero() && !initiated.Truncate(time.Second).Equal(c.IfInitiated.Truncate(time.Second)) {
		return preconditionFailed("x-amz-if-match-initiated-time")
	}
	return nil
}

func parseAbortConditions(h http.Header) (AbortConditions, error) {
	var c AbortConditions
	if v := h.Get("x-amz-if-match-initiated-time"); v != "" {
		t, err := parseHTTPOrISOTime(v)
		if err != nil {
			return c, ErrInvalidArgument.WithMessage("Invalid x-amz-if-match-initiated-time: %q.", truncate(v, 64))
		}
		c.IfInitiated = t
	}
	return c, nil
}

// parseHTTPOrISOTime reads a timestamp header: SDKs send HTTP dates
// (RFC 7231), some tools ISO 8601.
func parseHTTPOrISOTime(v string) (time.Time, error) {
	if t, err := http.ParseTime(v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

// conditions reads the conditional-delete elements of a DeleteObjects
// entry.
func (o deleteObjectXML) conditions() (DeleteConditions, error) {
	var c DeleteConditions
	if o.ETag != "" {
		c.IfMatch = unquoteETag(o.ETag)
	}
	if o.LastModifiedTime != "" {
		t, err := parseHTTPOrISOTime(o.LastModifiedTime)
		if err != nil {
			return c, ErrInvalidArgument.WithMessage("Invalid LastModifiedTime %q.", truncate(o.LastModifiedTime, 64))
		}
		c.IfLastModified = t
	}
	if o.Size != nil {
		n, err := strconv.ParseInt(strings.TrimSpace(*o.Size), 10, 64)
		if err != nil || n < 0 {
			return c, ErrInvalidArgument.WithMessage("Invalid Size %q.", truncate(*o.Size, 64))
		}
		c.IfSize = &n
	}
	return c, nil
}
