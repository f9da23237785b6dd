// Package chunked decodes aws-chunked request bodies, the framing S3
// clients use to stream a payload whose digest they cannot compute up
// front. Three forms exist, chosen by x-amz-content-sha256:
//
//	STREAMING-AWS4-HMAC-SHA256-PAYLOAD          signed chunks
//	STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  signed chunks + signed trailer
//	STREAMING-UNSIGNED-PAYLOAD-TRAILER          plain chunks + trailer
//
// On the wire a chunk is
//
//	hex-size [";chunk-signature=" 64*HEXDIG] CRLF data CRLF
//
// and the body ends with a chunk of size 0. Without a trailer one more CRLF
// follows; with a trailer, header lines ("x-amz-checksum-crc32c:sOO8/Q==")
// follow instead, then, for the signed form, "x-amz-trailer-signature:<hex>",
// and a final empty line. Chunk framing is parsed strictly; trailer lines
// may end in LF or CRLF and empty lines among them are skipped, because
// clients differ there (minio-go ends trailer lines in a bare LF), and the
// trailer ends where the body ends.
//
// # Releasing only verified bytes
//
// A chunk signature covers the SHA-256 of the whole chunk, so a chunk can
// only be verified once all of it has arrived. In the signed forms the
// Reader therefore holds one chunk (at most MaxChunkSize bytes, 16 MiB by
// default; SDKs send 64 KiB) and releases it only after its signature
// verified: a forged or corrupted chunk never reaches the caller, and
// chunks can be neither reordered nor dropped because each signature
// chains the previous one. Read returns io.EOF only after the final chunk,
// the trailer and its signature have verified and the decoded length
// matched x-amz-decoded-content-length (Options.DecodedLength), so a caller
// that commits an object on io.EOF commits only authenticated data; a
// chunk that would exceed the declared length is refused before any of it
// is released. Unsigned chunks are streamed
// through without buffering; their integrity is the trailer checksum's job
// (checked by the caller against the bytes it read).
//
// # Bounds and cost
//
// Every input-controlled size is bounded: chunk size, line length (4 KiB),
// number and total size of trailer lines. Each payload byte is hashed once
// (only in the signed forms), chunk buffers come from a pool shared by all
// requests and go back when the body ends or fails, and the steady state
// allocates nothing per chunk. S3's minimum chunk size (8 KiB for every
// chunk but the last that carries data) is enforced when the caller sets
// Options.MinChunkSize, as s3api does, so that a client that would fail
// against S3 fails here too.
//
// The trailer must carry exactly the headers the request declared in
// x-amz-trailer (Options.TrailerNames); this is checked before the
// trailer signature, so that an undeclared or missing trailer is reported
// as such (S3: MalformedTrailerError) rather than as a signature mismatch.
//
// Errors wrap ErrMalformed, ErrSignature, ErrTooLarge, ErrLengthMismatch,
// ErrMalformedTrailer, ErrChunkTooSmall or io.ErrUnexpectedEOF (a
// truncated body), and say where in the stream the problem was found.
package chunked
