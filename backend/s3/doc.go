// Package s3 is the envelopegw backend that keeps ciphertext on an
// upstream S3 service (a MinIO cluster, Ceph RGW, AWS S3), so that several
// stateless gateways can share one store. It talks to the upstream with
// minio-go.
//
// # Mapping
//
// Everything lives in one pre-created upstream bucket, under an optional
// prefix P (at most 100 bytes). Gateway buckets become prefixes:
//
//	P/b/<bucket>                              bucket record: creation time, generation
//	P/l/<bucket>                              bucket index entry (empty): what ListBuckets walks
//	P/i/<bucket>/<gen>/<key name>             index entry (empty): what listings walk
//	P/k/<bucket>/<gen>/<key name>             object head (JSON): key, time, metadata, extents
//	P/d/<bucket>/<gen>/<id>                   object data, one upstream object per extent
//	P/u/<bucket>/<gen>/<key name>!<upload>    multipart upload record
//	P/ui/<bucket>/<gen>/<key name>!<upload>   upload index entry (empty)
//	P/p/<bucket>/<gen>/<upload>/<nnnnn>       part records
//	P/pi/<bucket>/<gen>/<upload>/<nnnnn>      part index entry (empty)
//	P/d/<bucket>/<gen>/u<upload>-<part id>    part data
//
// <gen> is random per incarnation of a bucket: deleting a bucket and
// creating it again starts from an empty key space, whatever a racing
// writer left behind. A key name is the key in hex, cut into 200-character
// components (see names.go): hex keeps byte-wise order, so the upstream's
// listing is the gateway's listing, and no key can form an invalid or
// escaping upstream name. Keys longer than 380 bytes are named by their
// first 380 bytes and a hash, and ordered by reading their heads.
//
// # Metadata
//
// S3 allows 2 KB of user metadata per object; the gateway's metadata (the
// envelope header, recipients, tags) can reach 1 MiB. So metadata never
// goes into upstream user metadata: each object has a small head object of
// its own, a JSON record, which is also what makes a commit atomic. The
// data is written first, under a name no one reads; the head PUT is the
// commit point; the replaced object's data is removed after. A reader that
// opened the old head can then fail (ErrNoSuchKey), never mix versions.
//
// Listings walk index entries, never the records: an upstream listing
// may leave out an object while it is being overwritten, and a replace
// rewrites a head, a re-sent part its part record, a Complete or an
// Abort its upload record, but none of them an entry (index.go,
// uploadindex.go).
//
// # Streams
//
// A Writer pipes its bytes into one upstream object as they arrive:
// minio-go cuts the stream into upstream multipart parts of
// Options.PartSize (one such buffer is all a writer holds) and completes
// the upstream upload on Commit, or aborts it on Abort. Nothing touches
// local disk. A gateway multipart part is one such upstream object, and
// CompleteUpload writes a head whose extents are the parts' objects, as
// they are: no byte is copied or read. Open reads the head; ReadAt issues
// ranged GETs for exactly the extents and ranges asked for. Copy has the
// upstream copy each data object server-side (ComposeObject) and writes a
// new head: no data byte passes through the gateway (copy.go).
//
// # Conditions and versions
//
// An object's version is the ETag of its head, unique because every head
// carries a random nonce. Every head change is a compare-and-swap upstream
// (PUT with If-Match, or If-None-Match: * where there is no head), which
// is how a backend.Cond holds across gateways. S3 has no conditional
// DELETE, so a conditional Delete swaps in a tombstone (an empty head)
// instead; every read treats a tombstone as absent. The upstream must
// support conditional PUTs (MinIO, versitygw and AWS S3 do).
//
// # Deleting buckets
//
// DeleteBucket marks the bucket record "deleting" (a compare-and-swap),
// lists the heads, and then restores the record or removes it. Every
// change re-reads the bucket record after it lands and waits while a
// delete is deciding; a change whose bucket went away withdraws itself
// and fails with ErrNoSuchBucket. So a change either lands before the
// bucket was found empty or fails, as the backend contract requires. A
// "deleting" mark older than 30 seconds presumably belongs to a gateway
// that died; a change that meets one takes it away with a
// compare-and-swap, and the DeleteBucket's decision (a record marked
// deleted, conditioned on its mark, before the record is removed) then
// fails with ErrBucketNotEmpty: a DeleteBucket that was only slow cannot
// remove a bucket after a change was acknowledged in it.
//
// # Multipart state
//
// Upload and part records are upstream objects too (multipart.go), so a
// part can go through one gateway and Complete through another. Complete
// and Abort claim the upload record with a compare-and-swap first; a part
// committed after its upload was retired withdraws itself, unless the
// completed object's head names it. A Complete's claim older than 30
// seconds may be taken over, so a Complete fences its head on its claim
// and a taker keeps the data the key's head names (fence.go): a stalled
// Complete fails, whenever it wakes up, and never publishes removed data.
//
// # Never remove published data
//
// Once a record naming a data object may be published, only a later,
// committed removal of that record removes the data (publish.go). The
// steps after a head PUT ignore the client's cancel; a head PUT is not
// retried inside minio-go, and one whose answer was lost is resolved by
// reading the head back (its nonce is unique); a failure that cannot
// prove the head absent keeps the data (errKept) for the sweep to judge.
// It is re-sent with its own condition only: found replaced by another
// writer, the attempt may have landed first and had its data removed by
// that writer, so the change fails with errKept rather than publish a
// record naming removed data.
//
// # Garbage
//
// A crash (or a failing upstream) between writing data and publishing its
// record leaves an unreferenced data object, never a visible change; a
// crashed stream leaves an incomplete upstream multipart upload. Sweep
// (sweep.go) removes both once they are older than a cutoff, and every
// data object of a bucket generation that is no longer live; serve runs
// it hourly with a cutoff of a day.
package s3
