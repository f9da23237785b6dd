package s3api

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// ErrConditionalRequestConflict answers a conditional write or delete
// whose object changed between the evaluation of its condition and its
// commit (S3: "On a 409 failure you should retry").
var ErrConditionalRequestConflict = newErr("ConditionalRequestConflict", http.StatusConflict, "A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload you should initiate another CreateMultipartUpload request and re-upload each part.")

// WriteConditions are the preconditions of a conditional PutObject or
// CompleteMultipartUpload (If-None-Match: *, If-Match: "etag"). The zero
// value is unconditional.
//
// A Service must hold them atomically with the write: evaluate Check
// against the current object, then commit only if the object is still
// that version, answering ErrConditionalRequestConflict if it changed in
// between (and, when re-evaluating against the new object fails,
// Check's error).
type WriteConditions struct {
	IfNoneMatch bool   // If-None-Match: *: only if no object exists at the key
	IfMatch     string // If-Match: only if the object's ETag is this (no quotes); "*": any object
}

// Set reports whether there is any condition.
func (c WriteConditions) Set() bool { return c.IfNoneMatch || c.IfMatch != "" }

// Check evaluates c against the current object: exists says whether there
// is one, etag is its ETag. It returns nil, ErrPreconditionFailed, or
// ErrNoSuchKey for If-Match on a missing key, as S3 answers.
func (c WriteConditions) Check(exists bool, etag string) error {
	if c.IfMatch != "" {
		if !exists {
			return ErrNoSuchKey.WithMessage("The specified key does not exist, so the If-Match condition cannot hold.")
		}
		if !etagMatches(c.IfMatch, etag) {
			return preconditionFailed("If-Match")
		}
	}
	if c.IfNoneMatch && exists {
		return preconditionFailed("If-None-Match")
	}
	return nil
}

// parseWriteConditions reads If-None-Match and If-Match of a write. S3
// takes only "*" in If-None-Match on writes and one ETag (or "*") in
// If-Match; a list or an ETag in If-None-Match is refused rather than
// half-honoured, and so are both headers together. S3 answers these with
// its generic NotImplemented sentence.
func parseWriteConditions(h http.Header) (WriteConditions, error) {
	var c WriteConditions
	if vs := h.Values("If-None-Match"); len(vs) > 0 {
		if len(vs) != 1 || strings.TrimSpace(vs[0]) != "*" {
			return c, errHeaderNotImplemented.WithDetail("If-None-Match on a write accepts only the value *.")
		}
		if len(h.Values("If-Match")) > 0 {
			return c, errHeaderNotImplemented.WithDetail("If-Match and If-None-Match cannot be combined on a write.")
		}
		c.IfNoneMatch = true
	}
	if vs := h.Values("If-Match"); len(vs) > 0 {
		v := strings.TrimSpace(vs[0])
		if len(vs) != 1 || v == "" || strings.Contains(v, ",") {
			return c, errHeaderNotImplemented.WithDetail("If-Match on a write accepts one entity tag or *.")
		}
		if v != "*" {
			v = unquoteETag(v)
		}
		c.IfMatch = v
	}
	return c, nil
}

// maxDrainForRefusal bounds the body a refused conditional write reads and
// discards before answering. The Service refuses a write whose condition
// fails before it reads the body; a client that sent the body without
// Expect: 100-continue is still writing it, and an answer that closed the
// connection then would reach it as a broken pipe rather than as the 412.
// SDKs send Expect: 100-continue for large bodies (and then send none), so
// a small bound covers the others.
const maxDrainForRefusal = 8 << 20

// drainForRefusal reads and discards the rest of a small request body
// whose client did not wait for 100 Continue, so that the connection
// stays usable and the client reads the answer.
func (rq *request) drainForRefusal() {
	r := rq.r
	if !rq.in.unread() || hasToken(r.Header.Values("Expect"), "100-continue") || r.ContentLength < 0 || r.ContentLength > maxDrainForRefusal {
		return
	}
	io.Copy(io.Discard, io.LimitReader(rq.in, maxDrainForRefusal+1))
}

// refusedCondition reports the answers of a write whose condition failed.
func refusedCondition(err error) bool {
	return errors.Is(err, ErrPreconditionFailed) || errors.Is(err, ErrNoSuchKey) || errors.Is(err, ErrConditionalRequestConflict)
}

// errHeaderNotImplemented is S3's NotImplemented for a header it does not
// support in that form.
var errHeaderNotImplemented = ErrNotImplemented.WithMessage("A header you provided implies functionality that is not implemented.")
