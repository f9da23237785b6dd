package policy

import "strings"

// Condition keys a bucket policy may name. AWS refuses a key it does not
// know ("Policy has an invalid condition key") and an S3 key under
// actions it is never supplied with ("Conditions do not apply to
// combination of actions and resources in statement"); so does this
// package, so that a policy that could never match is an error at
// PutBucketPolicy and not a silent no-op later.

// globalKeys are AWS's global condition keys (lower-case).
var globalKeys = setOf("aws:sourceip", "aws:securetransport", "aws:currenttime", "aws:epochtime",
	"aws:useragent", "aws:referer", "aws:username", "aws:userid", "aws:principalarn",
	"aws:principalaccount", "aws:principaltype", "aws:principalorgid", "aws:principalorgpaths",
	"aws:principalisawsservice", "aws:principalservicename", "aws:principalservicenameslist",
	"aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip", "aws:sourcearn", "aws:sourceaccount",
	"aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths", "aws:requestedregion",
	"aws:multifactorauthpresent", "aws:multifactorauthage", "aws:tokenissuetime",
	"aws:viaawsservice", "aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:tagkeys",
	"aws:federatedprovider", "aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths",
	"aws:sourceidentity", "aws:ec2instancesourcevpc", "aws:ec2instancesourceprivateipv4")

// globalPrefixes are the global keys that carry a name after a slash.
var globalPrefixes = []string{"aws:principaltag/", "aws:requesttag/", "aws:resourcetag/"}

// anyActionKeys are S3 keys every S3 request carries.
var anyActionKeys = setOf("s3:authtype", "s3:signatureversion", "s3:signatureage", "s3:tlsversion",
	"s3:x-amz-content-sha256", "s3:resourceaccount", "s3:accesspointnetworkorigin",
	"s3:dataaccesspointaccount", "s3:dataaccesspointarn", "s3:existingobjecttag",
	"s3:if-match", "s3:if-none-match", "s3:objectcreationoperation")

var (
	aclActions  = []string{"putobject", "putobjectacl", "putobjectversionacl", "putbucketacl", "createbucket"}
	verActions  = []string{"getobjectversion", "deleteobjectversion", "getobjectversionacl", "putobjectversionacl", "getobjectversiontagging", "putobjectversiontagging", "deleteobjectversiontagging", "getobjectversionattributes", "getobjectversiontorrent", "getobjectversionforreplication", "getobjectretention", "putobjectretention", "getobjectlegalhold", "putobjectlegalhold", "bypassgovernanceretention"}
	listActions = []string{"listbucket", "listbucketversions"}
	lockActions = []string{"putobject", "putobjectretention", "bypassgovernanceretention"}
	tagActions  = []string{"putobject", "putobjecttagging", "putobjectversiontagging"}
)

// actionKeys are S3 keys supplied with some actions only.
var actionKeys = map[string][]string{
	"s3:prefix":                                          listActions,
	"s3:delimiter":                                       listActions,
	"s3:max-keys":                                        listActions,
	"s3:x-amz-acl":                                       aclActions,
	"s3:x-amz-grant-read":                                aclActions,
	"s3:x-amz-grant-write":                               aclActions,
	"s3:x-amz-grant-read-acp":                            aclActions,
	"s3:x-amz-grant-write-acp":                           aclActions,
	"s3:x-amz-grant-full-control":                        aclActions,
	"s3:versionid":                                       verActions,
	"s3:x-amz-copy-source":                               {"putobject"},
	"s3:x-amz-metadata-directive":                        {"putobject"},
	"s3:x-amz-storage-class":                             {"putobject"},
	"s3:x-amz-server-side-encryption":                    {"putobject"},
	"s3:x-amz-server-side-encryption-aws-kms-key-id":     {"putobject"},
	"s3:x-amz-server-side-encryption-customer-algorithm": {"putobject", "getobject", "getobjectversion"},
	"s3:object-lock-mode":                                lockActions,
	"s3:object-lock-retain-until-date":                   lockActions,
	"s3:object-lock-remaining-retention-days":            lockActions,
	"s3:object-lock-legal-hold":                          {"putobject", "putobjectlegalhold"},
	"s3:requestobjecttagkeys":                            tagActions,
	"s3:locationconstraint":                              {"createbucket"},
}

// keyPrefixes are S3 keys that carry a name after a slash, and the
// actions they apply to (nil: any).
var keyPrefixes = map[string][]string{
	"s3:existingobjecttag/": nil,
	"s3:requestobjecttag/":  tagActions,
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// conditionKey reports whether key (lower-case) is a known condition key
// and, for S3 keys that apply to some actions only, which ones (nil: any).
func conditionKey(key string) (actions []string, known bool) {
	if globalKeys[key] || anyActionKeys[key] {
		return nil, true
	}
	if acts, ok := actionKeys[key]; ok {
		return acts, true
	}
	for _, p := range globalPrefixes {
		if strings.HasPrefix(key, p) && len(key) > len(p) {
			return nil, true
		}
	}
	for p, acts := range keyPrefixes {
		if strings.HasPrefix(key, p) && len(key) > len(p) {
			return acts, true
		}
	}
	return nil, false
}

// suppliedKeys are the keys the gateway puts into a request's context
// (s3api's conditions); a bucket policy naming another known key is
// refused with UnsupportedError rather than accepted: a condition on a
// key no request carries never holds, so a Deny meant to bind would
// silently not.
var suppliedKeys = setOf("aws:sourceip", "aws:securetransport", "aws:currenttime", "aws:epochtime",
	"aws:useragent", "aws:referer", "aws:username", "s3:prefix", "s3:delimiter", "s3:max-keys",
	"s3:authtype", "s3:signatureversion", "s3:if-none-match", "s3:if-match", "s3:x-amz-acl",
	"s3:x-amz-metadata-directive", "s3:x-amz-storage-class", "s3:x-amz-server-side-encryption",
	"s3:x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-content-sha256",
	"s3:x-amz-grant-read", "s3:x-amz-grant-write", "s3:x-amz-grant-read-acp",
	"s3:x-amz-grant-write-acp", "s3:x-amz-grant-full-control", "s3:x-amz-copy-source",
	"s3:object-lock-mode", "s3:object-lock-retain-until-date", "s3:object-lock-legal-hold",
	"s3:versionid")

// UnsupportedError is a bucket policy S3 would take that names a
// condition key this gateway does not supply.
type UnsupportedError struct{ Key string }

func (e *UnsupportedError) Error() string {
	return "the condition key " + e.Key + " is not supplied by this gateway: a condition on it would never hold"
}
