// Package metrics is envelopegw's Prometheus instrumentation.
//
// Nothing in the request path counts anything by hand. Metrics come from
// three seams, each in one place:
//
//   - the s3api Observer (Metrics implements it): one call when a request
//     arrives, one when it is routed to an operation, one when it ends,
//     with the operation, status, S3 error code, bytes and duration;
//   - a timing wrapper around backend.Backend (Metrics.Backend): the
//     latency and errors of every storage call, the commit (fsync) latency
//     of objects and parts, bytes written and read, and the time of the
//     newest object per bucket;
//   - small hooks for the work that is not a request: gateway's crypto
//     observer (plaintext encrypted and decrypted, verification failures),
//     the janitor and the crash-leftover sweep, and the limits (connection
//     caps, body timeouts) that refuse or cut requests.
//
// All series live in a Registry of their own (no global state), served
// by Handler in the Prometheus text format. Label values come from small
// fixed sets (operation names, status codes, reasons) except bucket, which
// the operator's buckets bound; keys and access keys are never labels.
//
// # Newest object per bucket
//
// The metric an operator alerts on is "no backup arrived": the age of the
// newest object in each bucket. A listing of every bucket per scrape would
// cost a full walk of the volume, so End records the time of every object
// that arrives (a PutObject, CompleteMultipartUpload or CopyObject that
// succeeded), and ScanNewest seeds the values once at start from the S3
// listing of current objects (in the background). Neither looks at the
// backend: there the gateway's own records (bucket configuration, delete
// markers, noncurrent versions, lifecycle's markers) look like objects,
// and counting them would keep a bucket "fresh" while no backup arrives.
// Several gateways sharing a volume each export what they saw; max by
// (bucket) of the timestamp (min of the age) across them is the answer.
package metrics
