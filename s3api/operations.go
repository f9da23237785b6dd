package s3api

// Operation is one S3 operation the router knows. Routing sets it, and the
// request log, authorization, audit and metrics all key on it, so that an
// operation has one name and one IAM action everywhere.
//
// The zero value, OpNone, is a request that never reached an operation
// (bad Host, malformed query, method not allowed). Add an operation by
// adding a constant and its row in operations; the table test checks that
// every constant has one.
type Operation uint8

// Operations, in the order of the S3 API reference's groups.
const (
	OpNone           Operation = iota // no operation: refused before routing
	OpAuth                            // authentication failed before routing
	OpNotImplemented                  // a sub-resource or form this gateway does not serve
	OpPreflightCORS                   // OPTIONS: a browser's CORS preflight, never authenticated

	OpListBuckets

	OpCreateBucket
	OpDeleteBucket
	OpHeadBucket
	OpGetBucketLocation
	OpGetBucketVersioning
	OpPutBucketVersioning
	OpGetObjectLockConfiguration
	OpPutObjectLockConfiguration
	OpGetBucketAcl
	OpPutBucketAcl
	OpGetBucketTagging
	OpPutBucketTagging
	OpDeleteBucketTagging
	OpGetBucketOwnershipControls
	OpPutBucketOwnershipControls
	OpDeleteBucketOwnershipControls
	OpGetBucketLifecycleConfiguration
	OpPutBucketLifecycleConfiguration
	OpDeleteBucketLifecycle
	OpGetBucketCors
	OpPutBucketCors
	OpDeleteBucketCors
	OpGetBucketPolicy
	OpPutBucketPolicy
	OpDeleteBucketPolicy
	OpGetBucketPolicyStatus
	OpListObjects
	OpListObjectsV2
	OpListObjectVersions
	OpListMultipartUploads
	OpDeleteObjects

	OpGetObject
	OpHeadObject
	OpGetObjectAttributes
	OpGetObjectAcl
	OpPutObjectAcl
	OpGetObjectTagging
	OpPutObjectTagging
	OpDeleteObjectTagging
	OpPutObject
	OpCopyObject
	OpDeleteObject
	OpCreateMultipartUpload
	OpUploadPart
	OpUploadPartCopy
	OpCompleteMultipartUpload
	OpAbortMultipartUpload
	OpListParts
	OpGetObjectRetention
	OpPutObjectRetention
	OpGetObjectLegalHold
	OpPutObjectLegalHold
	OpPostObject // a browser-form upload (POST /bucket, multipart/form-data)

	numOperations
)

// ResourceKind says what an operation's IAM resource is.
type ResourceKind uint8

const (
	// ResourceNone: the operation has no resource (pseudo-operations).
	ResourceNone ResourceKind = iota
	// ResourceService: the account, arn:aws:s3:::* (ListBuckets).
	ResourceService
	// ResourceBucket: arn:aws:s3:::BUCKET.
	ResourceBucket
	// ResourceObject: arn:aws:s3:::BUCKET/KEY.
	ResourceObject
)

type opInfo struct {
	name     string // S3 operation name, as in the request log
	action   string // IAM action; "" for pseudo-operations
	resource ResourceKind
}

// operations is the table. Actions follow AWS's mapping of S3 operations
// to IAM actions: HEAD is authorized as the GET it describes, multipart
// parts and completion as s3:PutObject, the list operations as
// s3:ListBucket. DeleteObjects is authorized per key as s3:DeleteObject
// (AWS does the same), and the copies additionally need s3:GetObject on
// their source: those checks live with the authorizer, not here.
var operations = [numOperations]opInfo{
	OpNone:           {"-", "", ResourceNone},
	OpAuth:           {"auth", "", ResourceNone},
	OpNotImplemented: {"NotImplemented", "", ResourceNone},
	OpPreflightCORS:  {"PreflightCORS", "", ResourceNone},

	OpListBuckets: {"ListBuckets", "s3:ListAllMyBuckets", ResourceService},

	OpCreateBucket:               {"CreateBucket", "s3:CreateBucket", ResourceBucket},
	OpDeleteBucket:               {"DeleteBucket", "s3:DeleteBucket", ResourceBucket},
	OpHeadBucket:                 {"HeadBucket", "s3:ListBucket", ResourceBucket},
	OpGetBucketLocation:          {"GetBucketLocation", "s3:GetBucketLocation", ResourceBucket},
	OpGetBucketVersioning:        {"GetBucketVersioning", "s3:GetBucketVersioning", ResourceBucket},
	OpPutBucketVersioning:        {"PutBucketVersioning", "s3:PutBucketVersioning", ResourceBucket},
	OpGetObjectLockConfiguration: {"GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration", ResourceBucket},
	OpPutObjectLockConfiguration: {"PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration", ResourceBucket},
	OpGetBucketAcl:               {"GetBucketAcl", "s3:GetBucketAcl", ResourceBucket},
	OpPutBucketAcl:               {"PutBucketAcl", "s3:PutBucketAcl", ResourceBucket},
	OpGetBucketTagging:           {"GetBucketTagging", "s3:GetBucketTagging", ResourceBucket},
	OpPutBucketTagging:           {"PutBucketTagging", "s3:PutBucketTagging", ResourceBucket},
	// AWS authorizes these deletions with the Put actions.
	OpDeleteBucketTagging:             {"DeleteBucketTagging", "s3:PutBucketTagging", ResourceBucket},
	OpGetBucketOwnershipControls:      {"GetBucketOwnershipControls", "s3:GetBucketOwnershipControls", ResourceBucket},
	OpPutBucketOwnershipControls:      {"PutBucketOwnershipControls", "s3:PutBucketOwnershipControls", ResourceBucket},
	OpDeleteBucketOwnershipControls:   {"DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls", ResourceBucket},
	OpGetBucketLifecycleConfiguration: {"GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration", ResourceBucket},
	OpPutBucketLifecycleConfiguration: {"PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration", ResourceBucket},
	OpDeleteBucketLifecycle:           {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration", ResourceBucket},
	OpGetBucketCors:                   {"GetBucketCors", "s3:GetBucketCORS", ResourceBucket},
	OpPutBucketCors:                   {"PutBucketCors", "s3:PutBucketCORS", ResourceBucket},
	OpDeleteBucketCors:                {"DeleteBucketCors", "s3:PutBucketCORS", ResourceBucket},
	OpGetBucketPolicy:                 {"GetBucketPolicy", "s3:GetBucketPolicy", ResourceBucket},
	OpPutBucketPolicy:                 {"PutBucketPolicy", "s3:PutBucketPolicy", ResourceBucket},
	OpDeleteBucketPolicy:              {"DeleteBucketPolicy", "s3:DeleteBucketPolicy", ResourceBucket},
	OpGetBucketPolicyStatus:           {"GetBucketPolicyStatus", "s3:GetBucketPolicyStatus", ResourceBucket},
	OpListObjects:                     {"ListObjects", "s3:ListBucket", ResourceBucket},
	OpListObjectsV2:                   {"ListObjectsV2", "s3:ListBucket", ResourceBucket},
	OpListObjectVersions:              {"ListObjectVersions", "s3:ListBucketVersions", ResourceBucket},
	OpListMultipartUploads:            {"ListMultipartUploads", "s3:ListBucketMultipartUploads", ResourceBucket},
	OpDeleteObjects:                   {"DeleteObjects", "s3:DeleteObject", ResourceBucket},

	OpGetObject:               {"GetObject", "s3:GetObject", ResourceObject},
	OpHeadObject:              {"HeadObject", "s3:GetObject", ResourceObject},
	OpGetObjectAttributes:     {"GetObjectAttributes", "s3:GetObjectAttributes", ResourceObject},
	OpGetObjectAcl:            {"GetObjectAcl", "s3:GetObjectAcl", ResourceObject},
	OpPutObjectAcl:            {"PutObjectAcl", "s3:PutObjectAcl", ResourceObject},
	OpGetObjectTagging:        {"GetObjectTagging", "s3:GetObjectTagging", ResourceObject},
	OpPutObjectTagging:        {"PutObjectTagging", "s3:PutObjectTagging", ResourceObject},
	OpDeleteObjectTagging:     {"DeleteObjectTagging", "s3:DeleteObjectTagging", ResourceObject},
	OpPutObject:               {"PutObject", "s3:PutObject", ResourceObject},
	OpCopyObject:              {"CopyObject", "s3:PutObject", ResourceObject},
	OpDeleteObject:            {"DeleteObject", "s3:DeleteObject", ResourceObject},
	OpCreateMultipartUpload:   {"CreateMultipartUpload", "s3:PutObject", ResourceObject},
	OpUploadPart:              {"UploadPart", "s3:PutObject", ResourceObject},
	OpUploadPartCopy:          {"UploadPartCopy", "s3:PutObject", ResourceObject},
	OpCompleteMultipartUpload: {"CompleteMultipartUpload", "s3:PutObject", ResourceObject},
	OpAbortMultipartUpload:    {"AbortMultipartUpload", "s3:AbortMultipartUpload", ResourceObject},
	OpListParts:               {"ListParts", "s3:ListMultipartUploadParts", ResourceObject},
	OpGetObjectRetention:      {"GetObjectRetention", "s3:GetObjectRetention", ResourceObject},
	OpPutObjectRetention:      {"PutObjectRetention", "s3:PutObjectRetention", ResourceObject},
	OpGetObjectLegalHold:      {"GetObjectLegalHold", "s3:GetObjectLegalHold", ResourceObject},
	OpPutObjectLegalHold:      {"PutObjectLegalHold", "s3:PutObjectLegalHold", ResourceObject},
	OpPostObject:              {"PostObject", "s3:PutObject", ResourceObject},
}

func (o Operation) info() opInfo {
	if o >= numOperations {
		return opInfo{name: "-"}
	}
	return operations[o]
}

// String is the S3 operation name ("PutObject"), or "-", "auth" and
// "NotImplemented" for the pseudo-operations.
func (o Operation) String() string { return o.info().name }

// Action is the IAM action that authorizes the operation ("s3:PutObject"),
// or "" for the pseudo-operations, which are never authorized.
func (o Operation) Action() string { return o.info().action }

// Resource says whether the operation addresses the service, a bucket or
// an object.
func (o Operation) Resource() ResourceKind { return o.info().resource }

// Writes reports whether the operation changes stored state (creates,
// overwrites or deletes); the audit log records every such request.
func (o Operation) Writes() bool {
	switch o {
	case OpCreateBucket, OpDeleteBucket, OpDeleteObjects, OpPutObject,
		OpCopyObject, OpDeleteObject, OpCreateMultipartUpload, OpUploadPart,
		OpUploadPartCopy, OpCompleteMultipartUpload, OpAbortMultipartUpload,
		OpPutObjectTagging, OpDeleteObjectTagging, OpPutObjectAcl,
		OpPutBucketAcl, OpPutBucketTagging, OpDeleteBucketTagging,
		OpPutBucketOwnershipControls, OpDeleteBucketOwnershipControls,
		OpPutBucketVersioning, OpPutObjectLockConfiguration, OpPutObjectRetention,
		OpPutObjectLegalHold,
		OpPutBucketLifecycleConfiguration, OpDeleteBucketLifecycle,
		OpPutBucketCors, OpDeleteBucketCors,
		OpPutBucketPolicy, OpDeleteBucketPolicy, OpPostObject:
		return true
	}
	return false
}

// Operations lists every real operation (not the pseudo-operations), for
// callers that pre-register per-operation state such as metrics.
func Operations() []Operation {
	ops := make([]Operation, 0, numOperations-OpListBuckets)
	for o := OpListBuckets; o < numOperations; o++ {
		ops = append(ops, o)
	}
	return ops
}
