package s3api

import (
	"net/http"
	"net/url"

	"envelopegw/s3api/auth"
)

// request is the state of one request while it is being served.
type request struct {
	h       *handler
	w       *responseWriter
	r       *http.Request
	id, id2 string

	bucket, key string
	q           url.Values
	op          Operation // the routed operation
	accessKey   string
	auth        *auth.Result
	hostBucket  string // bucket taken from the Host header, if any
	user        string // the user's name, from the Authorizer
	authorized  bool   // the Authorizer allowed the operation
	createOnly  bool   // allowed only to create: the write must not replace an object
	identical   bool   // a create-only write found its identical object and wrote nothing

	in         *stallReader // the raw request body, under the stall timeout
	body       *requestBody // the verified body, once opened
	errCode    string       // S3 code answered, for the log
	errDetail  string       // internal error text, for the log only
	clientGone bool         // the client left: logged as 499, not a server error
	authFail   string       // why authentication refused, for metrics
	routed     bool         // Observer.Routed was called
	denied     bool         // the Authorizer refused an action (metrics)
	policyErr  error        // why the bucket policy could not be read (answered instead of AccessDenied)
	limit      string       // the limit that cut the request, for metrics
}

// unsupportedSubresources are S3 sub-resources this gateway does not
// implement. A request naming one gets NotImplemented instead of being
// mistaken for a plain object or bucket operation. (Query parameters that
// are not sub-resources, such as the SDKs' x-id, are ignored.)
var unsupportedSubresources = []string{
	"accelerate", "analytics", "cors", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging",
	"metadataConfiguration", "metadataTable", "metrics", "notification",
	"object-lock", "policy", "policyStatus",
	"publicAccessBlock", "renameObject", "replication", "requestPayment",
	"restore", "retention", "select", "session", "torrent",
	"versioning", "website",
}

func (rq *request) subresource() string {
	for _, s := range unsupportedSubresources {
		if rq.q.Has(s) {
			return s
		}
	}
	return ""
}

// serve authenticates and dispatches the request. Authentication happens
// before anything reads the body, so that a client sending
// "Expect: 100-continue" is refused without uploading.
func (rq *request) serve() {
	r := rq.r
	if n := headerBytes(r.Header); n > MaxHeaderBytes {
		rq.op = OpNone
		rq.fail(ErrRequestHeaderSectionTooLarge.WithDetail("Your request header section is %d bytes.", n).
			WithField("MaxSizeAllowed", itoa(MaxHeaderBytes)))
		return
	}
	hb, err := rq.h.hostBucket(r.Host)
	if err != nil {
		rq.op = OpNone
		rq.fail(err)
		return
	}
	rq.hostBucket = hb
	rq.bucket, rq.key = splitPath(r.URL.Path, hb)
	// The query must parse cleanly: url.Query drops pairs it cannot decode
	// (a raw ';', a bad '%' escape) while the signature covers them, so a
	// signed parameter could otherwise vanish between auth and routing.
	if rq.q, err = url.ParseQuery(r.URL.RawQuery); err != nil {
		rq.op = OpNone
		rq.fail(ErrInvalidArgument.WithMessage("The query string is malformed: %s.", truncate(err.Error(), 120)))
		return
	}

	if r.Method == http.MethodOptions {
		rq.preflight() // browsers send preflights unsigned (cors_handlers.go)
		return
	}

	if err := rq.shapeError(); err != nil {
		rq.op = OpNone
		rq.fail(err)
		return
	}
	if rq.isPostObject() {
		// A browser-form upload signs its form, not its headers.
		rq.servePostObject()
		return
	}
	res, err := auth.VerifyInRegion(r, rq.h.creds, rq.h.now(), hb, rq.h.region)
	if err != nil {
		rq.op = OpAuth
		rq.authFail = authFailureReason(err)
		rq.fail(authError(err, rq.q))
		return
	}
	rq.auth = res
	rq.accessKey = res.AccessKey
	rq.in.authenticated()

	op := rq.route()
	rq.routed = true
	rq.h.observe.Routed(rq.op)
	if rq.bucket != "" && rq.op != OpCreateBucket && !validExistingBucketName(rq.bucket) {
		rq.fail(ErrInvalidBucketName.WithMessage("The specified bucket is not valid: %q.", truncate(rq.bucket, 100)))
		return
	}
	if rq.key != "" {
		if err := checkKey(rq.key); err != nil {
			rq.fail(err)
			return
		}
	}
	if r.Method != http.MethodDelete {
		if err := rejectUnsupportedHeaders(r.Header, rq.lockHeadersAllowed()); err != nil {
			rq.fail(err)
			return
		}
	}
	if err := rq.checkPayloadMode(); err != nil {
		rq.fail(err)
		return
	}
	if err := rq.checkExpectedOwner(); err != nil {
		rq.fail(err)
		return
	}
	if err := rq.authorize(); err != nil {
		rq.fail(err)
		return
	}
	rq.authorized = true
	rq.setCORSHeaders()
	if err := op(); err != nil {
		rq.fail(rq.bodyError(rq.bucketFirst(err)))
	}
}

// route picks the operation for the request, setting rq.op.
func (rq *request) route() func() error {
	m := rq.r.Method
	notImpl := func(what string) func() error {
		rq.op = OpNotImplemented
		return func() error {
			return ErrNotImplemented.WithMessage("%s is not implemented by this gateway.", what)
		}
	}
	notAllowed := func() error { return rq.methodNotAllowed() }
	set := func(op Operation, f func() error) func() error {
		rq.op = op
		return f
	}

	switch {
	case rq.bucket == "":
		if m == http.MethodGet {
			return set(OpListBuckets, rq.listBuckets)
		}
		rq.op = OpNone
		return notAllowed

	case rq.key == "":
		switch m {
		case http.MethodGet:
			switch {
			case rq.q.Has("location"):
				return set(OpGetBucketLocation, rq.getBucketLocation)
			case rq.q.Has("versioning"):
				return set(OpGetBucketVersioning, rq.getBucketVersioning)
			case rq.q.Has("object-lock"):
				return set(OpGetObjectLockConfiguration, rq.getObjectLockConfiguration)
			case rq.q.Has("versions"):
				return set(OpListObjectVersions, rq.listObjectVersions)
			case rq.q.Has("uploads"):
				return set(OpListMultipartUploads, rq.listMultipartUploads)
			case rq.q.Has("acl"):
				return set(OpGetBucketAcl, rq.getACL)
			case rq.q.Has("tagging"):
				return set(OpGetBucketTagging, rq.getBucketTagging)
			case rq.q.Has("ownershipControls"):
				return set(OpGetBucketOwnershipControls, rq.getOwnershipControls)
			case rq.q.Has("lifecycle"):
				return set(OpGetBucketLifecycleConfiguration, rq.getBucketLifecycle)
			case rq.q.Has("cors"):
				return set(OpGetBucketCors, rq.getBucketCors)
			case rq.q.Has("policy"):
				return set(OpGetBucketPolicy, rq.getBucketPolicy)
			case rq.q.Has("policyStatus"):
				return set(OpGetBucketPolicyStatus, rq.getBucketPolicyStatus)
			case rq.subresource() != "":
				return notImpl("GET ?" + rq.subresource() + " on a bucket")
			case rq.q.Get("list-type") == "2":
				return set(OpListObjectsV2, rq.listObjectsV2)
			}
			return set(OpListObjects, rq.listObjectsV1)
		case http.MethodHead:
			return set(OpHeadBucket, rq.headBucket)
		case http.MethodPut:
			switch {
			case rq.q.Has("acl"):
				return set(OpPutBucketAcl, rq.putACL)
			case rq.q.Has("tagging"):
				return set(OpPutBucketTagging, rq.putBucketTagging)
			case rq.q.Has("ownershipControls"):
				return set(OpPutBucketOwnershipControls, rq.putOwnershipControls)
			case rq.q.Has("versioning"):
				return set(OpPutBucketVersioning, rq.putBucketVersioning)
			case rq.q.Has("lifecycle"):
				return set(OpPutBucketLifecycleConfiguration, rq.putBucketLifecycle)
			case rq.q.Has("policy"):
				return set(OpPutBucketPolicy, rq.putBucketPolicy)
			case rq.q.Has("object-lock"):
				return set(OpPutObjectLockConfiguration, rq.putObjectLockConfiguration)
			case rq.q.Has("cors"):
				return set(OpPutBucketCors, rq.putBucketCors)
			case rq.subresource() != "":
				return notImpl("PUT ?" + rq.subresource() + " on a bucket")
			}
			return set(OpCreateBucket, rq.createBucket)
		case http.MethodDelete:
			switch {
			case rq.q.Has("tagging"):
				return set(OpDeleteBucketTagging, rq.deleteBucketTagging)
			case rq.q.Has("ownershipControls"):
				return set(OpDeleteBucketOwnershipControls, rq.deleteOwnershipControls)
			case rq.q.Has("lifecycle"):
				return set(OpDeleteBucketLifecycle, rq.deleteBucketLifecycle)
			case rq.q.Has("cors"):
				return set(OpDeleteBucketCors, rq.deleteBucketCors)
			case rq.q.Has("policy"):
				return set(OpDeleteBucketPolicy, rq.deleteBucketPolicy)
			}
			if s := rq.subresource(); s != "" {
				return notImpl("DELETE ?" + s + " on a bucket")
			}
			return set(OpDeleteBucket, rq.deleteBucket)
		case http.MethodPost:
			if rq.q.Has("delete") {
				return set(OpDeleteObjects, rq.deleteObjects)
			}
			if s := rq.subresource(); s != "" {
				return notImpl("POST ?" + s + " on a bucket")
			}
			return notAllowed // browser-form uploads are served before routing (post_object.go)
		}

	default:
		switch m {
		case http.MethodGet:
			switch {
			case rq.q.Has("uploadId"):
				return set(OpListParts, rq.listParts)
			case rq.q.Has("acl"):
				return set(OpGetObjectAcl, rq.getACL)
			case rq.q.Has("tagging"):
				return set(OpGetObjectTagging, rq.getObjectTagging)
			case rq.q.Has("retention"):
				return set(OpGetObjectRetention, rq.getObjectRetention)
			case rq.q.Has("legal-hold"):
				return set(OpGetObjectLegalHold, rq.getObjectLegalHold)
			case rq.q.Has("attributes"):
				return set(OpGetObjectAttributes, rq.getObjectAttributes)
			case rq.subresource() != "":
				return notImpl("GET ?" + rq.subresource() + " on an object")
			}
			return set(OpGetObject, rq.getObject)
		case http.MethodHead:
			return set(OpHeadObject, rq.getObject)
		case http.MethodPut:
			copySrc := rq.r.Header.Get("x-amz-copy-source") != ""
			switch {
			case rq.q.Has("uploadId") || rq.q.Has("partNumber"):
				if copySrc {
					return set(OpUploadPartCopy, rq.uploadPartCopy)
				}
				return set(OpUploadPart, rq.uploadPart)
			case rq.q.Has("acl"):
				return set(OpPutObjectAcl, rq.putACL)
			case rq.q.Has("tagging"):
				return set(OpPutObjectTagging, rq.putObjectTagging)
			case rq.q.Has("retention"):
				return set(OpPutObjectRetention, rq.putObjectRetention)
			case rq.q.Has("legal-hold"):
				return set(OpPutObjectLegalHold, rq.putObjectLegalHold)
			case rq.subresource() != "":
				return notImpl("PUT ?" + rq.subresource() + " on an object")
			case copySrc:
				return set(OpCopyObject, rq.copyObject)
			}
			return set(OpPutObject, rq.putObject)
		case http.MethodPost:
			switch {
			case rq.q.Has("uploads"):
				return set(OpCreateMultipartUpload, rq.createMultipartUpload)
			case rq.q.Has("uploadId"):
				return set(OpCompleteMultipartUpload, rq.completeMultipartUpload)
			case rq.subresource() != "":
				return notImpl("POST ?" + rq.subresource() + " on an object")
			}
			rq.op = OpNone // shapeError refuses it before authentication
			return notAllowed
		case http.MethodDelete:
			switch {
			case rq.q.Has("uploadId"):
				return set(OpAbortMultipartUpload, rq.abortMultipartUpload)
			case rq.q.Has("tagging"):
				return set(OpDeleteObjectTagging, rq.deleteObjectTagging)
			case rq.subresource() != "":
				return notImpl("DELETE ?" + rq.subresource() + " on an object")
			}
			return set(OpDeleteObject, rq.deleteObject)
		}
	}
	rq.op = OpNone
	return notAllowed
}

// headerBytes is the size of the header section as S3 counts it.
func headerBytes(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}
