// Package s3api is the HTTP face of envelopegw: it speaks the S3 REST
// protocol and nothing else. It routes requests, authenticates them,
// decodes and verifies request bodies, writes S3 XML and S3 errors, and
// hands plain values to a Service (service.go). It knows nothing of
// encryption or disks; the gateway package implements Service.
//
// # Request life cycle
//
// NewHandler returns one http.Handler. For every request it
//
//  1. assigns x-amz-request-id and x-amz-id-2 (random, also in the log),
//     and gives the request's context the ID and an empty RequestScope,
//     where the Service may remember answers for this request only
//     (request_scope.go; the gateway keeps the bucket configuration
//     there, so authorization and the operation read it once);
//  2. resolves the addressing style from Host: a Host under one of
//     Config.Domains names a bucket (virtual-host style); an IP address,
//     localhost or a domain itself is path style; any other Host is refused
//     with 400 InvalidRequest. Refusing matters: xbcloud probes virtual-host
//     style first and takes any 2xx or 404 as "works", so a gateway that
//     quietly treated "bucket.127.0.0.1" as path style would answer its
//     probe from the service root;
//  3. authenticates with package auth, before anything reads the body, so
//     that a client waiting on "Expect: 100-continue" is refused without
//     uploading (net/http sends the 100 only when the body is first read).
//     Anonymous requests are denied, except the browser's CORS preflight
//     (OPTIONS), which browsers never sign: it is answered from the
//     bucket's CORS rules alone and runs no operation (cors.go,
//     cors_handlers.go);
//  4. dispatches on method, whether bucket and key are present, and the
//     query's sub-resource, to a typed Operation (operations.go: its S3
//     name, IAM action and resource kind, shared by the log, authorization,
//     audit and metrics);
//  5. asks the Authorizer, if one is configured, whether the signer (by
//     header or presigned URL alike) may perform the operation's action on
//     its resource (authorize.go); a denial is AccessDenied. A copy also
//     needs s3:GetObject on its source, DeleteObjects asks per key, and a
//     write the policy allows only as a create (s3:if-none-match = "*")
//     runs as a conditional create (create_only.go);
//  6. logs one line: method, path, operation, status, bytes in and out,
//     duration, request ID, access key. Never the query string (presigned
//     URLs carry signatures there) nor credentials. Denials and every
//     write or delete also get an audit record (audit.go).
//
// # Why a hand-written dispatcher
//
// S3 selects operations mostly by query sub-resource (?uploads, ?uploadId,
// ?delete, ?versions, ?location, ...) and by headers (x-amz-copy-source
// turns a PUT into a copy), and a key may contain any byte sequence,
// including "//" and a trailing "/". A path router would need a matcher per
// sub-resource and careful escaping rules; the switch in route.go is a
// single function that reads like the S3 reference. Query parameters that are not
// sub-resources (the SDKs' x-id, for instance) are ignored; S3
// sub-resources this gateway does not implement (?policy, ?website,
// ?replication, ...) answer 501 NotImplemented rather than being mistaken for plain
// object operations.
//
// One file holds each operation group: buckets.go, list_buckets.go,
// object_put.go, object_get.go, object_copy.go, object_delete.go,
// list_objects.go, multipart_*.go, post_*.go (browser-form uploads: the
// form is authenticated by its signed policy instead of step 3, then stored
// through object_put.go's put path), tagging.go (object tags),
// bucket_tagging.go, cors.go and cors_handlers.go (bucket CORS and
// preflights), acl.go (ACLs: owner-only ones succeed, the rest are
// refused as the bucket's Object Ownership calls for) and ownership.go
// (Object Ownership, stored through BucketOwnership, the owner ID and
// x-amz-expected-bucket-owner); xml.go holds
// the documents and respond.go the error writing.
//
// # Bodies
//
// Request bodies reach the Service as a Body (body.go) and are never
// buffered whole (only XML documents of a few MiB at most are). The Body
//
//   - decodes aws-chunked when x-amz-content-sha256 is a STREAMING-* value
//     (signed chunks and trailers are verified by package chunked with the
//     auth package's chunk signer); the decoded length is
//     x-amz-decoded-content-length;
//   - hashes each byte once, in the pass that delivers it: MD5 always (for
//     the ETag and Content-MD5), SHA-256 only when the client signed a real
//     payload digest, and the one x-amz-checksum-<alg> the client declared
//     by header, by trailer (x-amz-trailer) or by x-amz-sdk-checksum-algorithm;
//   - verifies everything when the payload ends: length
//     (IncompleteBody), payload SHA-256 (XAmzContentSHA256Mismatch),
//     Content-MD5 (BadDigest; malformed is InvalidDigest), checksum
//     (BadDigest naming the algorithm). The Read that delivers the declared
//     last byte already looks for the end and verifies, and a failure
//     withholds those last bytes: a Service that reads exactly Size bytes
//     (io.ReadFull, io.CopyN) and never asks for io.EOF still cannot
//     commit an unverified body. After the Service returns, the handler
//     checks that the body was in fact read and verified.
//
// A body is read under an idle deadline (Config.StallTimeout, stall.go):
// each Read renews the connection's read deadline, so a slow upload passes
// while one that sends nothing for the timeout ends in 400 RequestTimeout.
// An answer given before the body ended closes the connection when the
// client is unauthenticated, stalled or waiting for 100 Continue (net/http
// would otherwise wait to discard a body that may never come); an
// authenticated client gets a one-second grace to finish a small body, so
// that a client still writing it reads the answer, not a reset. A request
// whose client went away (its context canceled) is answered and logged as
// 499 RequestCanceled, not as a server error.
//
// MD5 is the costliest digest on the upload path. By default every handler
// shares one pool of multi-buffer MD5 servers (github.com/minio/md5-simd,
// through package md5pool): a server hashes concurrent uploads in SIMD
// lanes on its own goroutine, overlapping with the Service's work, and is
// replaced after a bounded number of uploads, because an md5-simd server
// keeps every hasher it ever handed out and walks them all on every cycle. Measured on this project's 2-core AVX2 machines:
// 2.0 GB/s aggregate for 8 streams against 1.2 GB/s for crypto/md5, and
// in the ingest benchmark 2.6 against 3.7 gateway CPU-seconds per GiB for
// multipart uploads. A lone stream is slower that way (0.5 against
// 0.6 GB/s); Config.StdlibMD5 (serve --md5 stdlib) selects crypto/md5
// instead. Fewer than five concurrent bodies get crypto/md5 from the pool
// anyway: at 4 clients on 2 cores md5-simd mostly ran its scalar code and
// cost the gateway more (package md5pool, docs/BENCHMARKS.md).
//
// # Responses
//
// Errors are S3 XML documents (Code, Message, Resource, RequestId) with
// Content-Type exactly "application/xml", which is what xbcloud needs to
// parse them; HEAD errors carry the status alone. GET streams through a
// pooled 1 MiB buffer. Once the status line is out, a failing object read
// (say, a segment that fails authentication) cannot become an error
// response any more, so the handler aborts the connection with
// http.ErrAbortHandler: the client sees a broken transfer, never a clean
// short body that looks complete.
//
// Response details follow S3 rather than net/http's habits: user metadata
// names go out lower case as stored (written into the header map directly,
// since Header.Set would canonicalise them and boto3 reports names as
// sent); a body-less request with "Expect: 100-continue" gets an interim
// 100 Continue at once (net/http sends one only when a body is read, and
// botocore, given a final answer without it, misreads the next answer on
// that connection and stalls 60 s); CompleteMultipartUpload's Location is
// an absolute URL; encoding-type=url writes a space as %20. An upload
// operation's NoSuchUpload becomes NoSuchBucket when the bucket is missing
// (bucket_first.go).
//
// Conditional GETs follow RFC 9110's order, which S3 follows too: If-Match,
// else If-Unmodified-Since (412); then If-None-Match, else If-Modified-Since
// (304). Copies apply the same to x-amz-copy-source-if-*, with 412 in place
// of 304. Range supports one range (a-b, a-, -n); several ranges get the
// whole object, as from S3. Conditional writes (If-None-Match: * and
// If-Match on PutObject and CompleteMultipartUpload) and conditional
// deletes are parsed here into WriteConditions / DeleteConditions, whose
// Check methods hold S3's semantics; the Service evaluates them atomically
// with its commit (409 ConditionalRequestConflict when the object changed
// in between).
//
// Headers that ask for promises the gateway cannot keep are refused with
// NotImplemented rather than ignored: SSE-C and SSE-KMS (a client would
// believe only its key can read the object), Object Lock (it would believe
// the object cannot be deleted). SSE-S3 (AES256) is accepted: objects are
// encrypted at rest anyway. On CompleteMultipartUpload, x-amz-checksum-*
// headers state the whole object's checksum, not the XML body's; a
// COMPOSITE value is checked here against the part list before the Service
// runs, and every value reaches the Service as
// CompleteMultipartUploadInput.ExpectedChecksums.
//
// SigV4 credential scopes must name Config.Region, as S3 requires (a client
// signing for another region gets AuthorizationHeaderMalformed with the
// expected <Region>, which botocore uses to retry in the right region).
// Config.Region is also what the gateway reports (GetBucketLocation,
// x-amz-bucket-region) and what CreateBucket's LocationConstraint must
// match.
//
// Buckets are unversioned: ListObjectVersions reports each object as its
// only version "null", and versionId=null is accepted wherever S3 takes a
// version. ListObjects v1 always returns NextMarker when truncated (S3 only
// does with a delimiter, but clients such as xbcloud page with it); v2
// continuation tokens are the base64url form of the last key returned, so
// paging needs no server state.
package s3api
