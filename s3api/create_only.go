package s3api

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// Create-only writes. A user whose policy allows s3:PutObject only with
// s3:if-none-match = "*" (the ingest role) may write where no object
// exists. authorize sets rq.createOnly for such a request when the client
// sent neither If-None-Match nor If-Match, and the write then runs with
// If-None-Match: * added: the Service's atomic conditional commit, the
// same mechanism a client asking for it gets, refuses to replace
// anything, across every gateway process on the volume.
//
// One difference from a client's own If-None-Match: a write refused
// because an object exists succeeds anyway when that object is
// byte-identical to the upload (same size and MD5 ETag, for multipart the
// same part ETags), and nothing is written. Backup clients re-send a PUT
// whose answer a timeout lost; that retry must keep working, and
// answering it from the identical stored object overwrites nothing. A
// different object is refused with AccessDenied (the policy, not a
// precondition the client chose, is what says no), and audited as a
// denial.

// createOnlyConds adds If-None-Match: * to a create-only write.
func (rq *request) createOnlyConds(c WriteConditions) WriteConditions {
	if rq.createOnly {
		c.IfNoneMatch = true
	}
	return c
}

// errOverwrite refuses a create-only write whose object exists and differs.
func (rq *request) errOverwrite() error {
	rq.auditDenied(rq.op.Action(), rq.bucket, rq.key, AuthzDecision{Reason: "create-only: a different object exists"})
	return ErrAccessDenied.WithMessage("Your policy allows creating objects only, and a different object exists at this key.")
}

// storedETag returns the ETag and size of the object now at the key.
func (rq *request) storedETag() (etag string, size int64, err error) {
	o, err := rq.h.svc.GetObject(rq.r.Context(), rq.bucket, rq.key)
	if err != nil {
		return "", 0, err
	}
	defer o.Close()
	info := o.Info()
	return info.ETag, info.Size, nil
}

// putIdentical answers a create-only PutObject refused by its condition:
// it reads the rest of the body (which verifies it and completes its MD5)
// and succeeds, writing nothing, if the stored object is identical.
func (rq *request) putIdentical(b *requestBody, refusal error) error {
	if !errors.Is(refusal, ErrPreconditionFailed) && !errors.Is(refusal, ErrConditionalRequestConflict) {
		return refusal
	}
	if _, err := io.Copy(io.Discard, b); err != nil {
		return err
	}
	etag, size, err := rq.storedETag()
	if errors.Is(err, ErrNoSuchKey) {
		return ErrConditionalRequestConflict // deleted in between: the client may retry
	}
	if err != nil {
		return err
	}
	sums := b.Sums()
	if sums.MD5 == nil || size != b.n || hex.EncodeToString(sums.MD5) != etag {
		return rq.errOverwrite()
	}
	rq.identical = true
	rq.w.Header().Set("ETag", quoteETag(etag))
	rq.noContent(http.StatusOK)
	return nil
}

// completeIdentical answers a create-only CompleteMultipartUpload refused
// by its condition: if the stored object is the multipart object these
// parts make (the same multipart ETag), the upload is retired and the
// stored object's completion answered.
func (rq *request) completeIdentical(uploadID string, parts []CompletedPart, refusal error) (*CompleteMultipartUploadOutput, error) {
	if !errors.Is(refusal, ErrPreconditionFailed) && !errors.Is(refusal, ErrConditionalRequestConflict) {
		return nil, refusal
	}
	etag, _, err := rq.storedETag()
	if err != nil {
		return nil, err
	}
	if want, ok := multipartETag(parts); !ok || want != etag {
		return nil, rq.errOverwrite()
	}
	// The parts stay unused: retire them now rather than at the janitor's
	// next pass. Failing that is not the client's concern.
	if err := rq.h.svc.AbortMultipartUpload(rq.r.Context(), rq.bucket, rq.key, uploadID); err != nil && !errors.Is(err, ErrNoSuchUpload) {
		rq.errDetail = "retiring the upload of an identical complete: " + err.Error()
	}
	rq.identical = true
	return &CompleteMultipartUploadOutput{ETag: etag}, nil
}

// multipartETag is the ETag S3 gives the object these parts make: the MD5
// of the parts' binary MD5s, a dash and the part count.
func multipartETag(parts []CompletedPart) (string, bool) {
	h := md5.New()
	for _, p := range parts {
		b, err := hex.DecodeString(p.ETag)
		if err != nil || len(b) != md5.Size {
			return "", false
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts)), true
}
