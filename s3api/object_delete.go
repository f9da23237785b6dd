package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"envelopegw/s3api/checksum"
)

// deleteObject answers DELETE /bucket/key: 204 whether or not the key
// existed, as S3 does, except for a conditional delete with If-Match of a
// missing key (404); a condition that fails is 412.
func (rq *request) deleteObject() error {
	cond, err := parseDeleteConditions(rq.r.Header)
	if err != nil {
		return err
	}
	if v := rq.versioning(); v != nil {
		return rq.deleteVersioned(v, cond)
	}
	if err := checkVersionID(rq.q); err != nil {
		return err
	}
	err = rq.h.svc.DeleteObject(rq.r.Context(), rq.bucket, rq.key, cond)
	if err != nil && (!errors.Is(err, ErrNoSuchKey) || cond.Answers404()) {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}

// deleteParallelism bounds the concurrent Service calls of one
// DeleteObjects request.
const deleteParallelism = 8

// deleteObjects answers POST /bucket?delete. S3 requires an integrity
// digest on this request (Content-MD5 or an x-amz-checksum); the verifying
// body checks it before any key is deleted.
func (rq *request) deleteObjects() error {
	h := rq.r.Header
	if h.Get("Content-MD5") == "" && !hasDeclaredChecksum(h) {
		return ErrInvalidRequest.WithMessage("Missing required header for this request: Content-MD5 (or an x-amz-checksum-* header).")
	}
	data, err := rq.readDocument("DeleteObjects", maxDeleteBody, ErrMalformedXML.WithMessage("The DeleteObjects body is larger than %d bytes.", maxDeleteBody))
	if err != nil {
		return err
	}
	req, err := parseDeleteObjects(data)
	if err != nil {
		return err
	}
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}

	results := make([]error, len(req.Objects))
	outs := make([]DeleteOutput, len(req.Objects))
	v := rq.versioning()
	askBypass := strings.EqualFold(rq.r.Header.Get("x-amz-bypass-governance-retention"), "true")
	sem := make(chan struct{}, deleteParallelism)
	var wg sync.WaitGroup
	for i, o := range req.Objects {
		if o.VersionID != "" && (v == nil && o.VersionID != "null" || checkVersionSyntax(o.VersionID) != nil) {
			results[i] = ErrInvalidArgument.WithMessage("Invalid version id specified")
			continue
		}
		if err := checkKey(o.Key); err != nil {
			results[i] = err
			continue
		}
		action := "s3:DeleteObject"
		if o.VersionID != "" {
			action = "s3:DeleteObjectVersion"
		}
		if !rq.allowedExtra(action, rq.bucket, o.Key) {
			results[i] = ErrAccessDenied
			continue
		}
		cond, err := o.conditions()
		if err != nil {
			results[i] = err
			continue
		}
		// s3:BypassGovernanceRetention is an object action in IAM: asked
		// per key, as for DeleteObject, so that a Deny on some keys (or
		// an Allow on some) binds DeleteObjects exactly as it binds the
		// single delete.
		bypass := askBypass && o.VersionID != "" && rq.allowedExtra("s3:BypassGovernanceRetention", rq.bucket, o.Key)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var err error
			if v != nil {
				outs[i], err = v.DeleteObjectVersion(rq.r.Context(), rq.bucket, o.Key, o.VersionID, bypass, cond)
			} else {
				err = rq.h.svc.DeleteObject(rq.r.Context(), rq.bucket, o.Key, cond)
			}
			if err != nil && (!isNoSuch(err) || cond.Answers404()) {
				results[i] = err
			}
			rq.auditDeleteKey(o.Key, results[i])
		}()
	}
	wg.Wait()

	res := deleteResult{Xmlns: s3Namespace}
	for i, o := range req.Objects {
		if err := results[i]; err != nil {
			e := AsError(err)
			if e == ErrInternalError {
				rq.errDetail = "DeleteObjects " + o.Key + ": " + err.Error()
			}
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
		} else if !req.Quiet {
			res.Deleted = append(res.Deleted, deletedEntry(o.Key, o.VersionID, outs[i]))
		}
	}
	rq.writeXML(http.StatusOK, &res)
	return nil
}

// parseDeleteObjects parses a DeleteObjects body strictly: one Delete
// element with 1 to 1000 Object entries, each with a Key.
func parseDeleteObjects(data []byte) (*deleteRequest, error) {
	var req deleteRequest
	if err := decodeStrict(data, &req); err != nil {
		return nil, err
	}
	if len(req.Objects) == 0 {
		return nil, ErrMalformedXML.WithMessage("The DeleteObjects body names no object.")
	}
	if len(req.Objects) > maxDeleteKeys {
		return nil, ErrMalformedXML.WithMessage("The DeleteObjects body names %d objects, the maximum is %d.", len(req.Objects), maxDeleteKeys)
	}
	for _, o := range req.Objects {
		if o.Key == "" {
			return nil, ErrMalformedXML.WithMessage("An Object in the DeleteObjects body has no Key.")
		}
	}
	return &req, nil
}

// decodeStrict decodes one XML document into v and refuses anything but
// whitespace, comments and processing instructions after it.
func decodeStrict(data []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(v); err != nil {
		return ErrMalformedXML
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return ErrMalformedXML
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return ErrMalformedXML
			}
		case xml.Comment, xml.ProcInst:
		default:
			return ErrMalformedXML
		}
	}
}

// hasDeclaredChecksum reports whether the request declares an
// x-amz-checksum as a header, a trailer or an SDK algorithm.
func hasDeclaredChecksum(h http.Header) bool {
	if h.Get("x-amz-trailer") != "" || h.Get("x-amz-sdk-checksum-algorithm") != "" {
		return true
	}
	for name := range h {
		if checksum.FromHeaderName(name) != "" {
			return true
		}
	}
	return false
}

// deletedEntry is the Deleted element of one key: a delete marker made or
// removed carries DeleteMarker true and the marker's version; a version
// removed by ID that was not a marker says DeleteMarker false, as S3
// documents the field ("was or was not a delete marker before deletion").
func deletedEntry(key, vid string, out DeleteOutput) deletedXML {
	d := deletedXML{Key: key, VersionID: vid}
	if out.DeleteMarker || vid != "" && out.VersionID != "" {
		marker := out.DeleteMarker
		d.DeleteMarker = &marker
	}
	if out.DeleteMarker {
		d.DeleteMarkerVersionID = out.VersionID
	}
	return d
}
