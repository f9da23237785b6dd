package s3api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"envelopegw/policy"
)

// # Bucket policies
//
// Put/Get/DeleteBucketPolicy keep a bucket's policy (package policy's
// ParseBucket validates it, with S3's MalformedPolicy wording), and every
// request on a bucket is evaluated against it together with the caller's
// own policies, as AWS evaluates the two within one account: an explicit
// Deny in either refuses; otherwise an Allow in either allows; otherwise
// the request is refused.
//
// What stays as it was, deliberately:
//   - Anonymous requests are refused before any policy is read, so a
//     Principal of "*" means every authenticated user of this gateway.
//   - A policy that grants to "*" without pinning the caller (S3's
//     definition of a public policy) is refused with 403 AccessDenied,
//     as S3 refuses it under Block Public Access, on by default for new
//     buckets since April 2023.
//   - The bucket policy neither grants nor denies s3:GetBucketPolicy,
//     s3:PutBucketPolicy and s3:DeleteBucketPolicy: only the caller's own
//     policies do (the admin role has them). So a policy cannot make a
//     user an administrator of the bucket's policy, and a policy that
//     denies everything to everyone cannot lock the administrators out
//     of removing it (S3 keeps the account root able to do the same).
//   - It applies to S3 actions only; gateway-specific actions
//     (envelopegw:GetObjectKeyIds) stay with the users file.

// BucketPolicies is implemented by a Service that keeps bucket policies.
// A Service without it answers the ?policy calls with NotImplemented.
type BucketPolicies interface {
	// PutBucketPolicy replaces bucket's policy with the document, already
	// validated.
	PutBucketPolicy(ctx context.Context, bucket, policy string) error
	// GetBucketPolicy returns bucket's policy, or ErrNoSuchBucketPolicy.
	GetBucketPolicy(ctx context.Context, bucket string) (string, error)
	// DeleteBucketPolicy removes bucket's policy (none is fine).
	DeleteBucketPolicy(ctx context.Context, bucket string) error
	// BucketPolicy returns the policy authorization applies: "" when the
	// bucket has none or does not exist. It is asked on every request
	// on a bucket, so it should be one read.
	BucketPolicy(ctx context.Context, bucket string) (string, error)
}

// PrincipalResolver is implemented by an Authorizer that can say whether
// a bucket policy's principal (an access key ID or a user's name) names
// one of its users. Without it, only access keys the Credentials know
// are principals.
type PrincipalResolver interface {
	KnownPrincipal(name string) bool
}

var (
	ErrMalformedPolicy    = newErr("MalformedPolicy", http.StatusBadRequest, "This policy contains invalid Json")
	ErrNoSuchBucketPolicy = newErr("NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist")
)

// maxPolicyBody bounds PutBucketPolicy's body: S3's 20 KB limit is on the
// document without whitespace, so the body may be somewhat larger.
const maxPolicyBody = 4 * policy.MaxBucketPolicySize

func (rq *request) policyService() (BucketPolicies, error) {
	return bucketConfigService[BucketPolicies](rq, "Bucket policies are not implemented by this service.")
}

// putBucketPolicy answers PUT /bucket?policy: 204, as S3 answers.
func (rq *request) putBucketPolicy() error {
	bp, err := rq.policyService()
	if err != nil {
		return err
	}
	b, err := rq.openBody(bodyOptions{maxSize: maxPolicyBody, tooLarge: ErrMalformedPolicy.WithMessage("Normalized policy document exceeds the maximum allowed size of 20480 bytes")})
	if err != nil {
		return err
	}
	defer b.close()
	data, err := io.ReadAll(io.LimitReader(b, maxPolicyBody+1))
	if err != nil {
		return err
	}
	if len(data) > maxPolicyBody {
		return ErrMalformedPolicy.WithMessage("Normalized policy document exceeds the maximum allowed size of 20480 bytes")
	}
	p, err := policy.ParseBucket(rq.bucket, data, rq.knownPrincipal)
	if err != nil {
		var me *policy.MalformedError
		if errors.As(err, &me) {
			return ErrMalformedPolicy.WithMessage("%s", me.Msg)
		}
		var ue *policy.UnsupportedError
		if errors.As(err, &ue) {
			return ErrNotImplemented.WithMessage("The condition key %s is not implemented by this gateway: no request carries it, so a condition on it would never hold.", truncate(ue.Key, 64))
		}
		return err
	}
	if p.IsPublic() {
		return ErrAccessDenied.WithDetail("The policy grants access to every principal; public policies are blocked (S3's BlockPublicPolicy).")
	}
	if err := bp.PutBucketPolicy(rq.r.Context(), rq.bucket, string(data)); err != nil {
		return err
	}
	rq.h.policies.Delete(rq.bucket)
	rq.noContent(http.StatusNoContent)
	return nil
}

// getBucketPolicy answers GET /bucket?policy with the document as sent.
func (rq *request) getBucketPolicy() error {
	bp, err := rq.policyService()
	if err != nil {
		return err
	}
	text, err := bp.GetBucketPolicy(rq.r.Context(), rq.bucket)
	if err != nil {
		return err
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", itoa(int64(len(text))))
	rq.w.WriteHeader(http.StatusOK)
	io.WriteString(rq.w, text)
	return nil
}

// deleteBucketPolicy answers DELETE /bucket?policy: 204 with or without
// a policy, as S3 answers.
func (rq *request) deleteBucketPolicy() error {
	bp, err := rq.policyService()
	if err != nil {
		return err
	}
	if err := bp.DeleteBucketPolicy(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	rq.h.policies.Delete(rq.bucket)
	rq.noContent(http.StatusNoContent)
	return nil
}

type policyStatus struct {
	XMLName  struct{} `xml:"PolicyStatus"`
	Xmlns    string   `xml:"xmlns,attr,omitempty"`
	IsPublic bool
}

// getBucketPolicyStatus answers GET /bucket?policyStatus. Public policies
// are refused, so a stored one is public only if it was stored by hand.
func (rq *request) getBucketPolicyStatus() error {
	bp, err := rq.policyService()
	if err != nil {
		return err
	}
	text, err := bp.GetBucketPolicy(rq.r.Context(), rq.bucket)
	if err != nil {
		return err
	}
	p, err := policy.ParseBucket(rq.bucket, []byte(text), func(string) bool { return true })
	if err != nil {
		return err
	}
	rq.writeXML(http.StatusOK, &policyStatus{Xmlns: s3Namespace, IsPublic: p.IsPublic()})
	return nil
}

// knownPrincipal reports whether a policy's principal names a user.
func (rq *request) knownPrincipal(name string) bool {
	if r, ok := rq.h.authz.(PrincipalResolver); ok {
		return r.KnownPrincipal(name)
	}
	_, ok := rq.h.creds.SecretKey(name)
	return ok
}

// policyExempt are the actions a bucket policy neither grants nor denies.
func policyExempt(action string) bool {
	switch action {
	case "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetBucketPolicyStatus":
		return true
	}
	return !strings.HasPrefix(action, "s3:")
}

// cachedPolicy is a parsed stored policy, reused while its text is the
// stored one.
type cachedPolicy struct {
	text string
	p    *policy.Policy
}

// bucketPolicy returns bucket's parsed policy, nil when it has none. The
// stored text is read on every request (one configuration read), so a
// change by another gateway applies at once; only the parse is cached.
func (rq *request) bucketPolicy(bucket string) (*policy.Policy, error) {
	bp, ok := rq.h.svc.(BucketPolicies)
	if !ok {
		return nil, nil
	}
	text, err := bp.BucketPolicy(rq.r.Context(), bucket)
	if err != nil || text == "" {
		return nil, err
	}
	if c, ok := rq.h.policies.Load(bucket); ok && c.(*cachedPolicy).text == text {
		return c.(*cachedPolicy).p, nil
	}
	// Principals were checked when the policy was put; a user removed
	// since simply matches no caller.
	p, err := policy.ParseBucket(bucket, []byte(text), func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	rq.h.policies.Store(bucket, &cachedPolicy{text: text, p: p})
	return p, nil
}

// withBucketPolicy combines the caller's own decision d with bucket's
// policy: an explicit Deny in either wins, then an Allow in either. A
// policy that cannot be read denies (fail closed), and the request is
// answered with why it could not be read (a store that is down is 503,
// which clients retry) rather than AccessDenied.
func (rq *request) withBucketPolicy(d AuthzDecision, action, bucket, key string, cond map[string]string) AuthzDecision {
	if bucket == "" || d.Deny || policyExempt(action) {
		return d
	}
	p, err := rq.bucketPolicy(bucket)
	if err != nil {
		rq.policyErr = err
		return AuthzDecision{User: d.User, Deny: true, Reason: "the bucket policy cannot be read: " + err.Error()}
	}
	if p == nil {
		return d
	}
	res := policy.BucketARN(bucket)
	if key != "" {
		res = policy.ObjectARN(bucket, key)
	}
	bd := p.Evaluate(&policy.Request{Action: action, Resource: res, Context: cond,
		Principals: []string{rq.accessKey, d.User}})
	why := "the bucket policy"
	if bd.Sid != "" {
		why += " statement " + bd.Sid
	}
	switch {
	case bd.Effect == policy.Deny:
		return AuthzDecision{User: d.User, Deny: true, Reason: "Deny by " + why}
	case bd.Effect == policy.Allow && !d.Allowed:
		return AuthzDecision{Allowed: true, User: d.User, Reason: "Allow by " + why}
	}
	return d
}

// policyCache is the handler's parsed-policy cache, by bucket.
type policyCache = sync.Map
