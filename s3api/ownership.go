package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http"
)

// Ownership: every bucket is owned by the account this gateway serves, and
// its Object Ownership is BucketOwnerEnforced (ACLs disabled, see acl.go).
//
// The owner ID the gateway reports (ListBuckets, ListObjects with owners,
// ?acl) is the access key ID that signed the request: every credential of
// a gateway is a full owner of every bucket, so each caller sees itself as
// owner. x-amz-expected-bucket-owner (and x-amz-source-expected-bucket-
// owner on copies) must therefore equal the caller's access key ID; any
// other value is 403 AccessDenied, as S3 answers an account ID that does
// not own the bucket. S3 expects a 12-digit account ID there; this gateway
// has no accounts, and its access keys are what its clients know.

// Object Ownership settings as S3 spells them.
const (
	ownershipEnforced  = "BucketOwnerEnforced"
	ownershipPreferred = "BucketOwnerPreferred"
	ownershipWriter    = "ObjectWriter"
)

var ErrOwnershipControlsNotFound = newErr("OwnershipControlsNotFoundError", http.StatusNotFound, "The bucket ownership controls were not found")

const maxOwnershipBody = 16 << 10

type ownershipControls struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string
	} `xml:"Rule"`
}

// checkExpectedOwner answers AccessDenied when the request names an
// expected bucket owner (of the target, or of a copy source) other than
// the owner this gateway reports.
func (rq *request) checkExpectedOwner() error {
	id := rq.owner().ID
	for _, k := range []string{"x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"} {
		if v, ok := rq.r.Header[http.CanonicalHeaderKey(k)]; ok && (len(v) != 1 || v[0] != id) {
			return ErrAccessDenied.WithDetail("%s does not name the bucket owner.", k)
		}
	}
	return nil
}

// checkCreateBucketOwnership validates CreateBucket's x-amz-object-ownership
// and ACL headers: BucketOwnerEnforced is the only ownership, and an ACL
// may not grant anything beyond the owner.
func (rq *request) checkCreateBucketOwnership() error {
	switch v := rq.r.Header.Get("x-amz-object-ownership"); v {
	case "", ownershipEnforced:
	case ownershipPreferred, ownershipWriter:
		return ErrNotImplemented.WithMessage("Object Ownership %s (ACLs enabled) is not implemented by this gateway; buckets are BucketOwnerEnforced.", v)
	default:
		return ErrInvalidArgument.WithMessage("Invalid x-amz-object-ownership header: %s", truncate(v, 64)).
			WithDetail("S3 knows BucketOwnerEnforced, BucketOwnerPreferred and ObjectWriter; this gateway keeps BucketOwnerEnforced.")
	}
	if _, err := rq.checkACLHeaders(); err != nil {
		if AsError(err).Code == ErrAccessControlListNotSupported.Code {
			return ErrInvalidBucketACLWithOwnership
		}
		return err
	}
	return nil
}

// getOwnershipControls answers GET ?ownershipControls.
func (rq *request) getOwnershipControls() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	var oc ownershipControls
	oc.Xmlns = s3Namespace
	oc.Rules = append(oc.Rules, struct{ ObjectOwnership string }{ownershipEnforced})
	rq.writeXML(http.StatusOK, &oc)
	return nil
}

// putOwnershipControls answers PUT ?ownershipControls: setting
// BucketOwnerEnforced succeeds (it is already in force); the settings that
// enable ACLs are refused.
func (rq *request) putOwnershipControls() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	b, err := rq.openBody(bodyOptions{maxSize: maxOwnershipBody, tooLarge: ErrMalformedXML})
	if err != nil {
		return err
	}
	defer b.close()
	data, err := b.readAll(maxOwnershipBody, "OwnershipControls")
	if err != nil {
		return err
	}
	var oc ownershipControls
	if err := xml.Unmarshal(bytes.TrimSpace(data), &oc); err != nil || len(oc.Rules) != 1 {
		return ErrMalformedXML
	}
	switch v := oc.Rules[0].ObjectOwnership; v {
	case ownershipEnforced:
	case ownershipPreferred, ownershipWriter:
		return ErrNotImplemented.WithMessage("Object Ownership %s (ACLs enabled) is not implemented by this gateway; buckets are BucketOwnerEnforced.", v)
	default:
		return ErrMalformedXML
	}
	rq.noContent(http.StatusOK)
	return nil
}

// deleteOwnershipControls answers DELETE ?ownershipControls. Without
// ownership controls S3 buckets fall back to ObjectWriter, which enables
// ACLs; this gateway cannot, so it refuses rather than pretend.
func (rq *request) deleteOwnershipControls() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	return ErrNotImplemented.WithMessage("Deleting ownership controls (which enables ACLs) is not implemented by this gateway; buckets are BucketOwnerEnforced.")
}
