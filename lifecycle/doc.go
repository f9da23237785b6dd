// Package lifecycle holds S3 bucket lifecycle configurations: the XML as
// S3 spells it (PutBucketLifecycleConfiguration's body), the checks S3
// applies to it, with S3's error codes, and the rule arithmetic that says
// when an object, a noncurrent version or an incomplete multipart upload
// is due.
//
// It knows nothing of HTTP, storage or keys: s3api parses and answers
// with it, the gateway stores a configuration as its canonical XML and its
// janitor asks Due* which entries to remove.
//
// # What is supported
//
// Rules filtered by key prefix (Filter/Prefix, or the legacy top-level
// Prefix), with Expiration (Days, Date, ExpiredObjectDeleteMarker),
// NoncurrentVersionExpiration (NoncurrentDays, NewerNoncurrentVersions)
// and AbortIncompleteMultipartUpload (DaysAfterInitiation). Tag and size
// filters and transitions (there are no storage classes to move to) are
// refused as NotImplemented rather than accepted and ignored.
//
// # Time
//
// As in S3, a rule's day count is applied to the object's creation (or
// the upload's initiation, or the moment a version became noncurrent) and
// rounded up to the next midnight UTC: an object written at 10:00 on day
// 1 with Days=1 is due at 00:00 on day 3. A Date rule makes every
// matching object due at that midnight.
package lifecycle
