package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
)

// ACLs are answered the way S3 answers for a bucket whose Object Ownership
// is BucketOwnerEnforced, its default since April 2023: ACLs are disabled.
// Reading an ACL shows the owner with FULL_CONTROL; writing one succeeds
// only when it grants nothing beyond that (no ACL, the "private" or
// "bucket-owner-full-control" canned ACL, or an AccessControlPolicy that
// gives the owner FULL_CONTROL and nobody anything). Anything else is 400
// AccessControlListNotSupported, so a client asking for "public-read"
// learns that nothing was made public. A bucket whose ownership setting
// enables ACLs refuses the same ACLs otherwise (ownership.go: 403 for
// public ones, 501 for grants to anyone else), after judging the
// request's form as S3 does. Anonymous requests stay refused whatever an
// ACL says: authentication comes first.

var (
	ErrAccessControlListNotSupported = newErr("AccessControlListNotSupported", http.StatusBadRequest, "The bucket does not allow ACLs")
	ErrMalformedACLError             = newErr("MalformedACLError", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema")
	ErrMissingSecurityHeader         = newErr("MissingSecurityHeader", http.StatusBadRequest, "Your request was missing a required header")
	ErrInvalidBucketACLWithOwnership = newErr("InvalidBucketAclWithObjectOwnership", http.StatusBadRequest, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
)

// maxACLBody bounds a PutBucketAcl/PutObjectAcl document.
const maxACLBody = 64 << 10

// cannedACLs are S3's canned ACL names; ownerOnlyACLs the ones that grant
// nothing beyond the owner's FULL_CONTROL when ownership is enforced.
var (
	cannedACLs = map[string]bool{
		"private": true, "public-read": true, "public-read-write": true,
		"aws-exec-read": true, "authenticated-read": true,
		"bucket-owner-read": true, "bucket-owner-full-control": true,
		"log-delivery-write": true,
	}
	ownerOnlyACLs = map[string]bool{"private": true, "bucket-owner-full-control": true}
	// publicACLs grant to everyone or to every AWS account: what Block
	// Public Access refuses where ACLs are enabled.
	publicACLs = map[string]bool{"public-read": true, "public-read-write": true, "authenticated-read": true}
)

// errPublicACL refuses an ACL that would make something public; with ACLs
// enabled it becomes 403 AccessDenied (ownership.go).
var errPublicACL = ErrAccessControlListNotSupported.WithDetail("The ACL grants public access.")

// publicGroupURIs are the grantee groups whose grants are public.
var publicGroupURIs = []string{
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}

func isPublicACLRefusal(err error) bool {
	e := AsError(err)
	return e.Code == errPublicACL.Code && e.Detail == errPublicACL.Detail
}

// grantsToPublicGroup reports whether an x-amz-grant-* value names one of
// the public groups.
func grantsToPublicGroup(v string) bool {
	for _, g := range publicGroupURIs {
		if strings.Contains(v, g) {
			return true
		}
	}
	return false
}

// grantHeaders are the explicit-grant headers of PUT, copy, multipart
// create, CreateBucket and the ?acl operations.
var grantHeaders = []string{
	"x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-read-acp",
	"x-amz-grant-write", "x-amz-grant-write-acp",
}

// checkACLHeaders accepts the ACL headers of a write only if they grant
// nothing beyond what the owner already holds. present reports whether any
// ACL header was sent.
func (rq *request) checkACLHeaders() (present bool, err error) {
	h := rq.r.Header
	if v := h.Get("x-amz-acl"); v != "" {
		present = true
		switch {
		case ownerOnlyACLs[v]:
		case publicACLs[v]:
			return true, errPublicACL
		case cannedACLs[v]:
			return true, ErrAccessControlListNotSupported
		default:
			return true, ErrInvalidArgument.WithMessage("%q is not a canned ACL.", truncate(v, 64))
		}
	}
	for _, k := range grantHeaders {
		v := h.Get(k)
		if v == "" {
			continue
		}
		present = true
		if grantsToPublicGroup(v) {
			return true, errPublicACL
		}
		if k != "x-amz-grant-full-control" || !rq.grantsOnlyOwner(v) {
			return true, ErrAccessControlListNotSupported
		}
	}
	return present, nil
}

// grantsOnlyOwner reports whether an x-amz-grant-full-control value names
// the owner alone (id="OWNER"), the header form of
// bucket-owner-full-control.
func (rq *request) grantsOnlyOwner(v string) bool {
	k, id, ok := strings.Cut(strings.TrimSpace(v), "=")
	if !ok || strings.TrimSpace(k) != "id" {
		return false
	}
	return strings.Trim(strings.TrimSpace(id), `"`) == rq.owner().ID
}

// getACL answers GET ?acl on a bucket or object: the owner holds
// FULL_CONTROL, which is all an ACL can say with ACLs disabled.
func (rq *request) getACL() error {
	if err := rq.checkExists(); err != nil {
		return err
	}
	o := rq.owner()
	rq.writeXML(http.StatusOK, &accessControlPolicy{
		Xmlns: s3Namespace,
		Owner: o,
		Grants: []grant{{
			Grantee: grantee{
				XMLNSXSI:    "http://www.w3.org/2001/XMLSchema-instance",
				XSIType:     "CanonicalUser",
				ID:          o.ID,
				DisplayName: o.DisplayName,
			},
			Permission: "FULL_CONTROL",
		}},
	})
	return nil
}

// putACL answers PUT ?acl on a bucket or object (PutBucketAcl,
// PutObjectAcl). It changes nothing: it succeeds when the requested ACL is
// the one every bucket and object already has.
func (rq *request) putACL() error {
	present, herr := rq.checkACLHeaders()
	if err := rq.checkExists(); err != nil {
		return err
	}
	enabled, err := rq.aclsEnabled()
	if err != nil {
		return err
	}
	if herr != nil && !enabled {
		return herr
	}
	// With ACLs enabled the request is judged as S3 judges it before
	// anything is granted: its form first (one way of saying the ACL, a
	// well-formed document), then what it grants.
	h := rq.r.Header
	if enabled && h.Get("x-amz-acl") != "" && slices.ContainsFunc(grantHeaders, func(k string) bool { return h.Get(k) != "" }) {
		return ErrInvalidRequest.WithMessage("Specifying both Canned ACLs and Header Grants is not allowed")
	}
	if rq.r.ContentLength != 0 {
		data, err := rq.readDocument("AccessControlPolicy", maxACLBody, ErrMalformedACLError)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(data)) > 0 {
			if present {
				return ErrUnexpectedContent.WithMessage("This request does not support content when ACL headers are given.")
			}
			if err := rq.checkACLDocument(data); err != nil {
				return rq.aclRefusal(err)
			}
			present = true
		}
	}
	if herr != nil {
		return aclsEnabledRefusal(herr)
	}
	if !present {
		return ErrMissingSecurityHeader.WithMessage("Your request was missing a required header: x-amz-acl or an AccessControlPolicy body.")
	}
	rq.noContent(http.StatusOK)
	return nil
}

// ErrUnexpectedContent answers a body where the request takes none.
var ErrUnexpectedContent = newErr("UnexpectedContent", http.StatusBadRequest, "This request does not support content")

// aclDocument is an AccessControlPolicy as clients send it.
type aclDocument struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *struct{ ID string }
	Grants  []struct {
		Grantee struct {
			Type string `xml:"type,attr"`
			ID   string
			URI  string
			Mail string `xml:"EmailAddress"`
		}
		Permission string
	} `xml:"AccessControlList>Grant"`
}

// aclPermissions are the permissions an ACL grant may name.
var aclPermissions = map[string]bool{"FULL_CONTROL": true, "WRITE": true, "WRITE_ACP": true, "READ": true, "READ_ACP": true}

// validACLDocument checks an AccessControlPolicy against S3's schema: an
// Owner with an ID, and grants of a known permission to a grantee of a
// known type that carries what its type needs. S3 answers
// MalformedACLError for anything else, before judging what is granted.
func validACLDocument(doc *aclDocument) error {
	if doc.Owner == nil || strings.TrimSpace(doc.Owner.ID) == "" {
		return ErrMalformedACLError.WithDetail("The AccessControlPolicy has no Owner ID.")
	}
	for _, g := range doc.Grants {
		if !aclPermissions[g.Permission] {
			return ErrMalformedACLError.WithDetail("A grant's Permission is not one of FULL_CONTROL, WRITE, WRITE_ACP, READ, READ_ACP.")
		}
		ge := g.Grantee
		ok := false
		switch ge.Type {
		case "CanonicalUser":
			ok = strings.TrimSpace(ge.ID) != ""
		case "AmazonCustomerByEmail":
			ok = strings.TrimSpace(ge.Mail) != ""
		case "Group":
			ok = strings.TrimSpace(ge.URI) != ""
		}
		if !ok {
			return ErrMalformedACLError.WithDetail("A Grantee must be CanonicalUser with an ID, AmazonCustomerByEmail with an EmailAddress or Group with a URI.")
		}
	}
	return nil
}

// checkACLDocument accepts an AccessControlPolicy only if it is the
// owner's FULL_CONTROL and nothing else.
func (rq *request) checkACLDocument(data []byte) error {
	var doc aclDocument
	if err := xml.Unmarshal(data, &doc); err != nil {
		return ErrMalformedACLError
	}
	if err := validACLDocument(&doc); err != nil {
		return err
	}
	id := rq.owner().ID
	if doc.Owner.ID != id {
		return ErrAccessDenied.WithMessage("The ACL names an owner other than the bucket owner %q.", id)
	}
	for _, g := range doc.Grants {
		if slices.Contains(publicGroupURIs, strings.TrimSpace(g.Grantee.URI)) {
			return errPublicACL
		}
	}
	if len(doc.Grants) != 1 {
		return ErrAccessControlListNotSupported
	}
	g := doc.Grants[0]
	if g.Permission != "FULL_CONTROL" || g.Grantee.ID != id || g.Grantee.URI != "" || g.Grantee.Mail != "" {
		return ErrAccessControlListNotSupported
	}
	return nil
}
