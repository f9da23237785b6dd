package s3api

import (
	"bytes"
	"context"
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

// BucketOwnership is implemented by a Service that stores each bucket's
// Object Ownership. A Service without it keeps every bucket
// BucketOwnerEnforced: the settings that enable ACLs, and deleting the
// controls, answer NotImplemented.
//
// The settings mean here what they mean in S3 for a bucket whose owner is
// the only account, with Block Public Access on (S3's default since April
// 2023, and this gateway's only mode: no anonymous access, no public
// policies). Every credential writes as the bucket owner, so the owner
// owns every object under all three settings. What the setting changes is
// how an ACL the gateway cannot hold is refused: with ACLs disabled
// (BucketOwnerEnforced) 400 AccessControlListNotSupported; with ACLs
// enabled, a public ACL is 403 AccessDenied, as Block Public Access
// refuses it, and a grant to anyone else (another account, a group, an
// e-mail address) is 501 NotImplemented, since the gateway has no one
// else to grant to. The owner-only ACLs succeed under every setting.
type BucketOwnership interface {
	// GetBucketOwnership returns bucket's Object Ownership, or "" when
	// its ownership controls were deleted.
	GetBucketOwnership(ctx context.Context, bucket string) (string, error)
	// PutBucketOwnership sets it ("" deletes the controls).
	PutBucketOwnership(ctx context.Context, bucket, ownership string) error
}

// checkCreateBucketOwnership validates CreateBucket's x-amz-object-ownership
// and ACL headers and returns the ownership to store after creating the
// bucket ("" for the default, BucketOwnerEnforced).
func (rq *request) checkCreateBucketOwnership() (string, error) {
	v := rq.r.Header.Get("x-amz-object-ownership")
	switch v {
	case "", ownershipEnforced:
		if _, err := rq.checkACLHeaders(); err != nil {
			if AsError(err).Code == ErrAccessControlListNotSupported.Code {
				return "", ErrInvalidBucketACLWithOwnership
			}
			return "", err
		}
		return "", nil
	case ownershipPreferred, ownershipWriter:
		if _, ok := rq.h.svc.(BucketOwnership); !ok {
			return "", ErrNotImplemented.WithMessage("Object Ownership %s (ACLs enabled) is not implemented by this service; buckets are BucketOwnerEnforced.", v)
		}
		// As in IAM: choosing the ownership at creation needs the right
		// to set it.
		if !rq.allowedExtra("s3:PutBucketOwnershipControls", rq.bucket, "") {
			return "", ErrAccessDenied
		}
		if _, err := rq.checkACLHeaders(); err != nil {
			return "", aclsEnabledRefusal(err)
		}
		return v, nil
	default:
		return "", ErrInvalidArgument.WithMessage("Invalid x-amz-object-ownership header: %s", truncate(v, 64)).
			WithDetail("S3 knows BucketOwnerEnforced, BucketOwnerPreferred and ObjectWriter.")
	}
}

// setCreatedBucketOwnership stores the ownership a CreateBucket asked for.
func (rq *request) setCreatedBucketOwnership(v string) error {
	if v == "" {
		return nil
	}
	return rq.h.svc.(BucketOwnership).PutBucketOwnership(rq.r.Context(), rq.bucket, v)
}

// aclRefusal turns the refusal of an ACL the gateway cannot hold
// (ErrAccessControlListNotSupported from the checks in acl.go) into the
// answer the bucket's ownership setting calls for; other errors pass.
func (rq *request) aclRefusal(err error) error {
	if err == nil || AsError(err).Code != ErrAccessControlListNotSupported.Code {
		return err
	}
	enabled, gerr := rq.aclsEnabled()
	if gerr != nil {
		return gerr
	}
	if !enabled {
		return err
	}
	return aclsEnabledRefusal(err)
}

// aclsEnabled reports whether the bucket's ownership setting enables ACLs
// (anything but BucketOwnerEnforced, including no controls at all).
func (rq *request) aclsEnabled() (bool, error) {
	o, ok := rq.h.svc.(BucketOwnership)
	if !ok {
		return false, nil
	}
	v, err := o.GetBucketOwnership(rq.r.Context(), rq.bucket)
	if err != nil {
		return false, err
	}
	return v != ownershipEnforced, nil
}

// aclsEnabledRefusal is the answer, in a bucket with ACLs enabled, to an
// ACL that grants beyond the owner: public ones as Block Public Access
// refuses them, the rest not implemented. The checks mark public ones
// with errPublicACL's detail.
func aclsEnabledRefusal(err error) error {
	if AsError(err).Code != ErrAccessControlListNotSupported.Code {
		return err
	}
	if isPublicACLRefusal(err) {
		return ErrAccessDenied.WithDetail("The ACL grants public access, which Block Public Access (always on in this gateway) refuses.")
	}
	return ErrNotImplemented.WithMessage("ACL grants beyond the bucket owner are not implemented by this gateway: it has one account and no public access.")
}

// getOwnershipControls answers GET ?ownershipControls.
func (rq *request) getOwnershipControls() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	v := ownershipEnforced
	if o, ok := rq.h.svc.(BucketOwnership); ok {
		var err error
		if v, err = o.GetBucketOwnership(rq.r.Context(), rq.bucket); err != nil {
			return err
		}
		if v == "" {
			return ErrOwnershipControlsNotFound.WithField("BucketName", rq.bucket)
		}
	}
	var oc ownershipControls
	oc.Xmlns = s3Namespace
	oc.Rules = append(oc.Rules, struct{ ObjectOwnership string }{v})
	rq.writeXML(http.StatusOK, &oc)
	return nil
}

// putOwnershipControls answers PUT ?ownershipControls. A Service without
// BucketOwnership accepts BucketOwnerEnforced only (it is in force).
func (rq *request) putOwnershipControls() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	data, err := rq.requiredDocument("OwnershipControls", maxOwnershipBody, ErrMalformedXML)
	if err != nil {
		return err
	}
	var oc ownershipControls
	if err := xml.Unmarshal(bytes.TrimSpace(data), &oc); err != nil || len(oc.Rules) != 1 {
		return ErrMalformedXML
	}
	v := oc.Rules[0].ObjectOwnership
	switch v {
	case ownershipEnforced, ownershipPreferred, ownershipWriter:
	default:
		return ErrMalformedXML
	}
	o, ok := rq.h.svc.(BucketOwnership)
	switch {
	case ok:
		if err := o.PutBucketOwnership(rq.r.Context(), rq.bucket, v); err != nil {
			return err
		}
	case v != ownershipEnforced:
		return ErrNotImplemented.WithMessage("Object Ownership %s (ACLs enabled) is not implemented by this service; buckets are BucketOwnerEnforced.", v)
	}
	rq.noContent(http.StatusOK)
	return nil
}

// deleteOwnershipControls answers DELETE ?ownershipControls: the bucket
// then has none (GetBucketOwnershipControls answers
// OwnershipControlsNotFoundError) and, as in S3, ACLs enabled.
func (rq *request) deleteOwnershipControls() error {
	if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	o, ok := rq.h.svc.(BucketOwnership)
	if !ok {
		return ErrNotImplemented.WithMessage("Deleting ownership controls (which enables ACLs) is not implemented by this service; buckets are BucketOwnerEnforced.")
	}
	if err := o.PutBucketOwnership(rq.r.Context(), rq.bucket, ""); err != nil {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}
