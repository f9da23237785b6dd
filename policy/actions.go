package policy

import "strings"

// resKind is the kind of resource an S3 action applies to.
type resKind uint8

const (
	resAccount resKind = iota // no bucket: never in a bucket policy
	resBucket
	resObject
)

// s3Actions is S3's action catalogue (the Service Authorization
// Reference's list, lower-case, without the "s3:" prefix) with the
// resource each applies to. Bucket policies are validated against it:
// an action pattern that names no S3 action, or none that applies to the
// statement's resources, is refused as AWS refuses it.
var s3Actions = func() map[string]resKind {
	m := map[string]resKind{}
	add := func(k resKind, names ...string) {
		for _, n := range names {
			m[strings.ToLower(n)] = k
		}
	}
	add(resAccount, "ListAllMyBuckets", "GetAccountPublicAccessBlock", "PutAccountPublicAccessBlock",
		"ListAccessPoints", "ListJobs", "CreateJob", "ListStorageLensConfigurations")
	add(resBucket, "CreateBucket", "DeleteBucket", "ListBucket", "ListBucketVersions",
		"ListBucketMultipartUploads", "GetBucketLocation", "GetBucketVersioning", "PutBucketVersioning",
		"GetBucketAcl", "PutBucketAcl", "GetBucketTagging", "PutBucketTagging",
		"GetBucketOwnershipControls", "PutBucketOwnershipControls",
		"GetLifecycleConfiguration", "PutLifecycleConfiguration",
		"GetBucketCORS", "PutBucketCORS", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy",
		"GetBucketPolicyStatus", "GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration",
		"GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock", "GetBucketWebsite", "PutBucketWebsite",
		"DeleteBucketWebsite", "GetBucketLogging", "PutBucketLogging", "GetBucketNotification",
		"PutBucketNotification", "GetBucketRequestPayment", "PutBucketRequestPayment",
		"GetEncryptionConfiguration", "PutEncryptionConfiguration", "GetReplicationConfiguration",
		"PutReplicationConfiguration", "GetAccelerateConfiguration", "PutAccelerateConfiguration",
		"GetAnalyticsConfiguration", "PutAnalyticsConfiguration", "GetInventoryConfiguration",
		"PutInventoryConfiguration", "GetMetricsConfiguration", "PutMetricsConfiguration",
		"GetIntelligentTieringConfiguration", "PutIntelligentTieringConfiguration")
	add(resObject, "GetObject", "GetObjectVersion", "PutObject", "DeleteObject", "DeleteObjectVersion",
		"GetObjectAcl", "GetObjectVersionAcl", "PutObjectAcl", "PutObjectVersionAcl",
		"GetObjectTagging", "GetObjectVersionTagging", "PutObjectTagging", "PutObjectVersionTagging",
		"DeleteObjectTagging", "DeleteObjectVersionTagging", "GetObjectAttributes",
		"GetObjectVersionAttributes", "AbortMultipartUpload", "ListMultipartUploadParts",
		"GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold", "PutObjectLegalHold",
		"BypassGovernanceRetention", "RestoreObject", "GetObjectTorrent", "GetObjectVersionTorrent",
		"GetObjectVersionForReplication", "ReplicateObject", "ReplicateDelete", "ReplicateTags",
		"ObjectOwnerOverrideToBucketOwner", "InitiateReplication")
	return m
}()

// matchingActions returns the kinds of the S3 actions an action pattern
// ("s3:Get*", lower-case) names; ok is false when it names none.
func matchingActions(pattern string) (kinds map[resKind]bool, ok bool) {
	op, found := strings.CutPrefix(pattern, "s3:")
	if !found {
		return nil, false
	}
	kinds = map[resKind]bool{}
	for name, k := range s3Actions {
		if wildcard(op, name) {
			kinds[k] = true
		}
	}
	return kinds, len(kinds) > 0
}
