package s3api

import (
	"context"
	"net"
	"strconv"
	"strings"
)

// Authorizer decides whether an authenticated user may perform an action
// on a resource. s3api owns this interface and asks it between routing
// and the operation; package policy (through the server's users file)
// implements it. A nil Config.Authorizer allows every authenticated
// request, which is the single-admin setup.
type Authorizer interface {
	Authorize(ctx context.Context, q *AuthzRequest) AuthzDecision
}

// AuthzRequest is one question to the Authorizer.
type AuthzRequest struct {
	AccessKey string    // the signer (header or presigned URL alike)
	Operation Operation // the routed operation
	// Action is the IAM action asked about: Operation.Action(), or for the
	// extra checks of one operation another one (s3:GetObject on a copy
	// source, envelopegw:GetObjectKeyIds on a HEAD).
	Action string
	// Bucket and Key name the resource: both empty for the service
	// (ListBuckets), Key empty for a bucket.
	Bucket, Key string
	// Conditions are the request's condition keys, lower-case:
	// aws:sourceip, aws:securetransport, s3:authtype, and where they apply
	// s3:prefix, s3:delimiter, s3:max-keys, s3:if-none-match, s3:if-match.
	Conditions map[string]string
}

// AuthzDecision is the Authorizer's answer.
type AuthzDecision struct {
	Allowed bool
	// User names the user for the logs (the access key when unnamed).
	User string
	// Reason says which policy statement decided, or why none did; it is
	// logged, never sent to the client.
	Reason string
	// Deny: an explicit Deny decided, which a bucket policy's Allow does
	// not override (an unset Allowed alone is "nothing allowed it").
	Deny bool
}

// Gateway-specific actions, beside the s3: actions of the operation table.
const (
	// ActionGetKeyIDs allows seeing, on HEAD and GET, which key IDs can
	// open an object (header x-envelopegw-key-ids).
	ActionGetKeyIDs = "envelopegw:GetObjectKeyIds"
)

// authorize asks the Authorizer about the routed operation. It returns nil
// or an AccessDenied error; denials are audited. DeleteObjects is
// authorized per key inside the operation, copies also on their source.
func (rq *request) authorize() error {
	switch {
	case !rq.authzActive() || rq.op == OpDeleteObjects:
		return nil
	case rq.op.Action() == "":
		// Only the pseudo-operations have no action, and they never
		// reach an operation; anything else without one is denied, so
		// an operation added without its action fails closed.
		if rq.op == OpNone || rq.op == OpAuth || rq.op == OpNotImplemented {
			return nil
		}
		return ErrAccessDenied
	}
	cond := rq.conditions()
	switch rq.op {
	case OpListObjects, OpListObjectsV2, OpListObjectVersions, OpListMultipartUploads:
		cond["s3:prefix"] = rq.q.Get("prefix")
		cond["s3:delimiter"] = rq.q.Get("delimiter")
		if rq.q.Has("max-keys") {
			cond["s3:max-keys"] = rq.q.Get("max-keys")
		}
	}
	inm, hasINM := rq.r.Header["If-None-Match"]
	im, hasIM := rq.r.Header["If-Match"]
	if rq.op.Action() == "s3:PutObject" {
		if hasINM {
			cond["s3:if-none-match"] = inm[0]
		}
		if hasIM {
			cond["s3:if-match"] = im[0]
		}
	}
	if rq.check(rq.action(), rq.bucket, rq.key, cond) {
		return rq.authorizeAttributesRead(cond)
	}
	// A write that may only create: ask again as if the client had sent
	// If-None-Match: *. If that is allowed, the write proceeds create-only
	// (see package policy's doc: this is how the ingest role works).
	if rq.op.Action() == "s3:PutObject" && !hasINM && !hasIM {
		cond["s3:if-none-match"] = "*"
		if d := rq.ask(rq.op.Action(), rq.bucket, rq.key, cond); d.Allowed {
			rq.createOnly = true
			return rq.checkCreateOnly()
		}
	}
	if rq.policyErr != nil {
		return rq.policyErr
	}
	return ErrAccessDenied
}

// action is the IAM action of the request: the operation's, except that
// naming a version is s3:GetObjectVersion / s3:DeleteObjectVersion (and
// the Version forms of the tagging actions), as in AWS, so that a role may
// read, tag or delete current objects only.
func (rq *request) action() string {
	if rq.q.Has("versionId") {
		switch rq.op {
		case OpGetObject, OpHeadObject:
			return "s3:GetObjectVersion"
		case OpDeleteObject:
			return "s3:DeleteObjectVersion"
		case OpGetObjectAttributes:
			return "s3:GetObjectVersionAttributes"
		case OpGetObjectTagging:
			return "s3:GetObjectVersionTagging"
		case OpPutObjectTagging:
			return "s3:PutObjectVersionTagging"
		case OpDeleteObjectTagging:
			return "s3:DeleteObjectVersionTagging"
		}
	}
	return rq.op.Action()
}

// check asks about one action and audits a denial.
func (rq *request) check(action, bucket, key string, cond map[string]string) bool {
	d := rq.ask(action, bucket, key, cond)
	if !d.Allowed {
		rq.denied = true
		rq.auditDenied(action, bucket, key, d)
	}
	return d.Allowed
}

// ask asks the Authorizer (allowing everything without one) and records the
// user's name for the logs.
func (rq *request) ask(action, bucket, key string, cond map[string]string) AuthzDecision {
	d := AuthzDecision{Allowed: true, User: rq.accessKey}
	if rq.h.authz != nil {
		d = rq.h.authz.Authorize(rq.r.Context(), &AuthzRequest{
			AccessKey: rq.accessKey, Operation: rq.op, Action: action,
			Bucket: bucket, Key: key, Conditions: cond,
		})
	}
	d = rq.withBucketPolicy(d, action, bucket, key, cond)
	// Set once: DeleteObjects asks per key while earlier keys' deletes
	// (which audit, reading rq.user) already run.
	if rq.user == "" && d.User != "" {
		rq.user = d.User
	}
	return d
}

// allowedExtra asks about an action beyond the operation's own (a copy's
// source, a DeleteObjects key), with the request's general conditions.
func (rq *request) allowedExtra(action, bucket, key string) bool {
	if !rq.authzActive() {
		return true
	}
	return rq.check(action, bucket, key, rq.conditions())
}

// authzActive reports whether requests are authorized at all: with an
// Authorizer, or with a Service that keeps bucket policies (whose Deny
// binds even the single-admin setup).
func (rq *request) authzActive() bool {
	if rq.h.authz != nil {
		return true
	}
	_, ok := rq.h.svc.(BucketPolicies)
	return ok
}

// mayQuietly is allowedExtra for optional extras (the key IDs header):
// a no is not a denied request, so it is not audited.
func (rq *request) mayQuietly(action string) bool {
	if rq.h.authz == nil {
		return false // without users, nobody is singled out as an admin
	}
	return rq.ask(action, rq.bucket, rq.key, rq.conditions()).Allowed
}

// conditions are the condition keys every request carries.
func (rq *request) conditions() map[string]string {
	c := map[string]string{
		"aws:securetransport": strconv.FormatBool(rq.r.TLS != nil),
		"s3:authtype":         "REST-HEADER",
	}
	switch {
	case rq.op == OpPostObject:
		// S3's values: a browser form is "POST", signed with SigV4
		// (SigV2 forms are refused), so that a policy may tell form
		// uploads apart.
		c["s3:authtype"] = "POST"
		c["s3:signatureversion"] = "AWS4-HMAC-SHA256"
	case rq.auth != nil && rq.auth.Presigned:
		c["s3:authtype"] = "REST-QUERY-STRING"
	}
	if host, _, err := net.SplitHostPort(rq.r.RemoteAddr); err == nil {
		c["aws:sourceip"] = host
	}
	rq.requestConditions(c)
	return c
}

// checkCreateOnly refuses the copies to a create-only user: CopyObject
// has no conditional commit in the Service, so "never overwrite" could
// not be held. Every other write either commits through a conditional
// PutObject or Complete (create_only.go) or makes no object (parts).
func (rq *request) checkCreateOnly() error {
	if rq.op == OpCopyObject {
		return ErrAccessDenied.WithMessage("Your policy allows creating objects only, which a copy cannot promise here; upload the object instead.")
	}
	return nil
}

// KeyIDReporter is implemented by ObjectReaders that can say which key IDs
// an object is sealed to (the recipients whose private keys open it).
type KeyIDReporter interface {
	KeyIDs() []string
}

// KeyIDsHeader carries, on GET and HEAD for users allowed
// envelopegw:GetObjectKeyIds (admins), the key IDs that can open the
// object, comma-separated. It is not an x-amz-meta-* header, so clients
// do not mistake it for user metadata.
const KeyIDsHeader = "x-envelopegw-key-ids"

func (rq *request) setKeyIDs(obj ObjectReader) {
	k, ok := obj.(KeyIDReporter)
	if !ok || !rq.mayQuietly(ActionGetKeyIDs) {
		return
	}
	if ids := k.KeyIDs(); len(ids) > 0 {
		rq.w.Header().Set(KeyIDsHeader, strings.Join(ids, ","))
	}
}
