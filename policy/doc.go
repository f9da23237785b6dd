// Package policy parses and evaluates IAM-style access policies for S3:
// the subset of AWS's policy language that S3 users already write for
// user policies. It is pure: no HTTP, no storage. The S3 layer (s3api)
// turns a request into a Request (action, resource ARN, condition keys)
// and asks; this package answers Allow, Deny or NotApplicable.
//
// # Language
//
// A document is JSON: {"Version": "2012-10-17", "Statement": [...]} where
// Statement is one object or a list. A statement has an optional Sid, an
// Effect ("Allow" or "Deny"), exactly one of Action and NotAction (a
// string or list of "s3:Name" or "*", with "*" and "?" wildcards, matched
// without regard to case), exactly one of Resource and NotResource ("*"
// or "arn:aws:s3:::bucket" or "arn:aws:s3:::bucket/key", with wildcards,
// matched case-sensitively), and an optional Condition.
//
// Condition operators: StringEquals, StringNotEquals,
// StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
// StringNotLike, NumericEquals, NumericNotEquals, NumericLessThan,
// NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals,
// DateEquals, DateNotEquals, DateLessThan(Equals), DateGreaterThan(Equals)
// (ISO 8601 or epoch seconds), Bool, BinaryEquals, ArnEquals, ArnLike,
// ArnNotEquals, ArnNotLike, IpAddress, NotIpAddress, each also with an
// IfExists suffix, and Null. Within one operator several keys must all match (AND), and
// several values of one key are alternatives (OR), as in AWS. A key the
// request does not carry makes a positive operator false and a negated
// one (StringNotEquals, NotIpAddress, ...) true, as in AWS; IfExists
// makes any operator true for an absent key. Condition keys are
// case-insensitive. The gateway supplies s3:prefix, s3:delimiter and
// s3:max-keys (listings), s3:if-none-match and s3:if-match (writes),
// s3:authType, aws:SourceIp, aws:SecureTransport and aws:username.
//
// What is refused rather than ignored, because ignoring it would grant
// more than the author meant or less than they think: Principal and
// NotPrincipal (in user policies; bucket policies, bucket.go, require
// them), actions of other services,
// resources that are not S3 ARNs, unknown condition operators, the
// ForAnyValue:/ForAllValues: set qualifiers, and policy variables
// (${aws:username}) in resources. Unknown top-level or statement fields
// and duplicate fields are errors too. Every error names the file, line
// and column.
//
// # Evaluation
//
// A user's policies are evaluated together: an explicit Deny in any
// statement that matches wins over every Allow; otherwise any matching
// Allow allows; otherwise the request is denied (default deny). A bucket
// policy's statements apply only to the callers their Principal names
// (Request.Principals); combining its decision with the user's is the
// S3 layer's (s3api/bucket_policy.go), as AWS combines identity and
// resource policies within one account.
//
// # Canned policies
//
// Canned returns the documents behind the role names a users file uses
// (ingest, restore, readwrite, admin), scoped to bucket patterns. ingest
// grants s3:PutObject only with the condition s3:if-none-match = "*":
// create-only. The gateway, when a write is denied and carried neither
// If-None-Match nor If-Match, asks again as if it carried
// If-None-Match: *, and if that is allowed performs the write as
// create-only (and lets a byte-identical retry succeed). So "may create
// but not overwrite" is an ordinary condition anyone can write in their
// own policies, not a special case of the role.
package policy
