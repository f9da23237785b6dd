// Package gateway is envelopegw's object service: it implements
// s3api.Service by turning S3 operations into envelope and backend calls.
// It is the only package where encryption and storage meet; s3api above it
// knows nothing of keys or disks, and the backend below it stores bytes and
// string metadata it cannot read.
//
// # Objects
//
// Every object is an envelope (see envelope/FORMAT.md) split in two places:
//
//   - The backend object's bytes are the concatenated part bodies (a salt
//     prefix then AEAD segments per part), ciphertext only. A PutObject
//     writes one part; a multipart object has one part body per uploaded
//     part, committed by the backend as extents without being read again.
//   - The backend object's metadata holds the envelope header (the data key
//     wrapped for every recipient), the part table sealed under the data
//     key, and everything S3 reports about the object (plaintext size, ETag,
//     checksums, Content-Type, user metadata). The layout is versioned and
//     documented in meta.go; `envelopegw cat` and other offline tools read it.
//
// Because the S3-visible facts live in plain metadata, HEAD, listings,
// CopyObject and every write work without any private key. A gateway
// configured with recipients only (ingest-only mode) stores and lists
// backups but answers every read with s3api.ErrNoDecryptionKey (403): it
// never returns ciphertext and never fails with a 500 for lack of a key.
// Reads unwrap the data key with the configured identities for each opened
// object (an HPKE decapsulation is ~0.1 ms, so nothing is cached), check the
// authenticated part table against the recorded size, and decrypt exactly
// the segments that cover the requested range.
//
// # Multipart uploads
//
// CreateMultipartUpload makes the envelope header and data key at once and
// stores both in the backend's upload metadata: the header as is, the data
// key sealed with AES-256-GCM under Config.StateKey. The sealing binds the
// ciphertext to the bucket, the key and the header (which carries a fresh
// random salt, so it names the upload uniquely); the upload ID itself is
// chosen by the backend after the metadata is written, so it cannot be part
// of the binding. Any gateway process that shares the volume and the state
// key can then take parts of the same upload: it unseals the data key,
// checks it against the header's key commitment, and encrypts the part with
// a fresh per-part salt, so a re-sent part never reuses a key and nonce.
// CompleteMultipartUpload only reads part metadata: it validates the list,
// builds and seals the part table in the client's order, computes the ETag
// and the multipart checksum from the stored part digests, and asks the
// backend to make the part files the object's extents atomically.
//
// The object records the upload ID that made it, so a Complete retried
// after a lost answer gets the same answer, as from S3, instead of
// NoSuchUpload. Parts of a completed object are numbered by position for
// GET ?partNumber= (1..PartsCount), whatever numbers the client uploaded
// them under; their plaintext sizes are kept in metadata so that HEAD
// ?partNumber= needs no key.
//
// Abandoned uploads are removed by RunJanitor after Config.UploadMaxAge.
//
// # Copies
//
// CopyObject streams the stored ciphertext to the new key unchanged, with
// the same header and data key, so it needs no private key and re-hashes
// nothing; ETag and checksums carry over. A copy onto itself with replaced
// metadata rewrites only the metadata. UploadPartCopy must decrypt the
// source and re-encrypt it under the upload's key, so it needs an identity.
//
// # Conditional requests
//
// If-None-Match: * and If-Match on PutObject, CompleteMultipartUpload and
// CopyObject, and the conditional deletes, are evaluated on the object's
// S3 attributes (ETag, plaintext size, Last-Modified) before any byte is
// written, then committed under a backend.Cond that names the exact
// version evaluated, so the check and the change are one atomic step in
// the backend, across every gateway process on the volume. A commit that
// loses a race is evaluated again: 412 if the condition fails now, 409
// ConditionalRequestConflict if only the version changed (conditional.go).
//
// # Default checksum
//
// As S3 does since 2024, an object uploaded without any checksum gets a
// whole-object CRC64NVME: PutObject hashes the plaintext as it streams,
// parts of an upload without an algorithm keep one each, and Complete
// combines them without reading a part (default_checksum.go). Copies keep
// the source's, or compute the algorithm asked for from the decrypted
// source (copy_checksum.go).
//
// # Streaming and memory
//
// Request bodies are copied into the part writer through pooled 1 MiB
// buffers; the envelope writes ciphertext to the backend in batches of the
// same order. Nothing holds a whole object or part. Digests (MD5 for the
// ETag, x-amz-checksum-*) are computed once, by s3api's request body, and
// read from it at EOF; the gateway hashes only what no client sent: a CRC
// for an upload created with a CRC checksum, and the plaintext of
// UploadPartCopy.
//
// # Errors
//
// Backend sentinel errors become the matching S3 errors; storage trouble
// (a full disk, an I/O error) becomes 503 or 500, which every S3 client
// retries. Messages sent to clients never carry paths or key material; the
// full cause goes to the logger.
package gateway
