package policy

import "strings"

// Request is one authorization question.
type Request struct {
	// Action is the IAM action, "s3:GetObject"; matched without regard to
	// case.
	Action string
	// Resource is the ARN: "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/key",
	// or "*" for actions on no particular resource (s3:ListAllMyBuckets).
	Resource string
	// Context holds the condition keys of the request, lower-case names
	// ("s3:prefix", "aws:sourceip").
	Context map[string]string
	// Principals are the caller's names a bucket policy's Principal may
	// use (the access key, the user's name); user policies ignore them.
	Principals []string
}

// BucketARN and ObjectARN name S3 resources.
func BucketARN(bucket string) string      { return ARNPrefix + bucket }
func ObjectARN(bucket, key string) string { return ARNPrefix + bucket + "/" + key }

// Decision is the outcome of evaluating a request against policies.
type Decision struct {
	Effect Effect // Allow, or Deny (explicit) or NotApplicable (default deny)
	// Policy and Sid name the statement that decided, when one did.
	Policy, Sid string
}

// Allowed reports whether the request may proceed.
func (d Decision) Allowed() bool { return d.Effect == Allow }

// Evaluate evaluates r against every policy together: an explicit Deny in
// any of them wins, else any Allow allows, else the request is denied by
// default.
func Evaluate(policies []*Policy, r *Request) Decision {
	action := strings.ToLower(r.Action)
	var allow Decision
	for _, p := range policies {
		for i := range p.Statements {
			st := &p.Statements[i]
			if !st.applies(action, r) {
				continue
			}
			if st.Effect == Deny {
				return Decision{Effect: Deny, Policy: p.Name, Sid: st.Sid}
			}
			if allow.Effect != Allow {
				allow = Decision{Effect: Allow, Policy: p.Name, Sid: st.Sid}
			}
		}
	}
	return allow
}

// Evaluate evaluates r against this policy alone.
func (p *Policy) Evaluate(r *Request) Decision { return Evaluate([]*Policy{p}, r) }

func (st *Statement) applies(action string, r *Request) bool {
	if st.HasPrincipal && st.matchesPrincipal(r.Principals) == st.NotPrincipal {
		return false
	}
	if matchAny(st.Actions, action) == st.NotAction {
		return false
	}
	if matchAny(st.Resources, r.Resource) == st.NotRes {
		return false
	}
	for i := range st.Conds {
		if !st.Conds[i].holds(r.Context) {
			return false
		}
	}
	return true
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if p == "*" || wildcard(p, s) {
			return true
		}
	}
	return false
}
