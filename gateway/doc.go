// Package gateway is envelopegw's object service: it implements
// s3api.Service by turning S3 operations into envelope and backend calls.
// It is the only package where encryption and storage meet; s3api above it
// knows nothing of keys or disks, and the backend below it stores bytes and
// string metadata it cannot read.
//
// # Objects
//
// Every object is an envelope (see envelope/FORMAT.md) stored in two
// places:
//
//   - The backend object's bytes are the concatenated part bodies (a salt
//     prefix then AEAD segments per part), ciphertext only. A PutObject
//     writes one part; a multipart object has one part body per uploaded
//     part, committed by the backend as extents without being read again.
//   - The backend object's metadata (format v2) holds the envelope header,
//     the part table sealed under the data key, and a signed object
//     record: bucket, key, a unique write ID, time, plaintext size, hashes
//     of header and table, each part's size and ciphertext SHA-256, and the
//     attributes S3 reports (ETag, checksums, Content-Type, user metadata)
//     sealed under a per-object metadata key. objrecord.go builds and
//     reads it; meta.go names the attributes.
//
// Signatures. Config.SigningKey signs every record this service commits
// (hybrid Ed25519 + ML-DSA-65, one signature per object, never per byte).
// GetObject, and so HEAD, GET and CopyObject, verifies the record against
// the trusted signers (Config.Signers and the service's own key), holds it
// to the bucket and key it is read as and to the stored header, table and
// size, before it reports anything. A record planted by someone who can
// write the volume, swapped between names, copied to another key or
// bucket, or edited fails there. Format v1 objects carry no signature and
// are read only with Config.InsecureSkipSigner.
//
// Sealed attributes. The metadata key of each object is wrapped under a
// key derived from the state key (the gateway metadata key) and under the
// data key. HEAD, listings and CopyObject open it with the former, so they
// need no private key and work on an ingest-only host, while a copy of the
// volume without the state key shows no digest and no user metadata. A
// host with an identity but another state key (`envelopegw cat`, a restore
// gateway) opens it through the data key. Listings do not verify
// signatures (a page holds 1000 objects); the AEAD under the gateway
// metadata key authenticates what they show.
//
// Reads unwrap the data key with the configured identities for each opened
// object (an HPKE decapsulation is ~0.1 ms, so nothing is cached), check the
// authenticated part table against the signed record, and decrypt exactly
// the segments that cover the requested range. A gateway configured with
// recipients only (ingest-only mode) answers every read with
// s3api.ErrNoDecryptionKey (403): it never returns ciphertext and never
// fails with a 500 for lack of a key.
//
// # Multipart uploads
//
// CreateMultipartUpload stores only the upload's attributes, sealed under
// the gateway metadata key and bound to the bucket, the key and a random
// upload nonce (the upload ID is chosen by the backend after the metadata
// is written, so it cannot be part of the binding). An upload has no data
// key. UploadPart draws a fresh data key for each part, wraps it to the
// bucket's recipients in a part header written at the start of the part's
// stored body, encrypts the part under it and forgets it: no key on the
// ingest host or the volume decrypts a part in progress. Each part's MD5
// and checksums are sealed under the gateway metadata key, bound to the
// upload, the part number and the part's clear fields (size, salt, part
// header length and SHA-256, ciphertext SHA-256), which Complete reads.
// Any gateway process that shares the volume and the state key can take
// parts of the same upload; a re-sent part gets a fresh key and salt.
// CompleteMultipartUpload only reads part metadata: it validates the list,
// builds the part table (version 2: each entry names its part header's
// length and SHA-256) in the client's order, MACs it under a fresh object
// header's data key and signs it in the object record, computes the ETag
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
// CopyObject keeps the stored ciphertext unchanged, with the same header
// and data key, and signs a new record for the new name (same part
// digests, attributes sealed anew under the same metadata key), so it
// needs no private key and re-hashes nothing; ETag and checksums carry
// over. The ciphertext is not even read: Backend.Copy shares it (hard
// links, an upstream server-side copy), pinned to the version verified;
// only a store that cannot, or a source replaced meanwhile, gets the
// opened version streamed through a writer (copy_linked.go). A copy onto itself with replaced metadata rewrites only the
// record.
//
// UploadPartCopy must decrypt the source and seal it as a new part, so it
// needs an identity; the format (envelope/FORMAT.md) leaves no
// server-side path. A part is one sealed part: a header with its own data
// key, one salt, segments whose keys bind its part number. A multipart
// source is several such bodies with their own numbers, and a single-PUT
// source one body of part 1 under the object's header. Only the latter,
// copied whole into part 1, could be stored unchanged (its header as the
// part header: no new wrapping, so no identity, and no key or nonce used
// for new plaintext), and it would stay readable only by the source's
// recipients. Even then the part's signed digest (SHA-256 over header,
// salt and segments) cannot be derived from the source record's digest of
// salt and segments, so every byte would still be read to hash it; its
// ETag (the MD5 of the plaintext) is known only for single-PUT sources;
// and an upstream composes pieces of at least 5 MiB only, so the part
// would be two stored pieces, which backend parts cannot be. It would take
// a part digest over (header hash, body digest), parts of several
// extents, and a same-recipients rule.
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
// buffers, or 64 KiB ones for a body declared that small (a burst of small
// PUTs would otherwise hold a megabyte each); the envelope writes ciphertext to the backend in batches of the
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
