// Package auth authenticates S3 requests: AWS Signature Version 4 (the
// Authorization header and presigned URLs) and the legacy Signature
// Version 2 (the "AWS AK:signature" header and presigned URLs with
// AWSAccessKeyId/Expires/Signature) that older clients such as xbcloud
// still use.
//
// The package only answers "who signed this request, and is the signature
// right?". It never reads the body and knows nothing of S3 operations or
// error codes: Verify returns a *Result or an error wrapping one of the
// sentinel errors below, and the HTTP layer maps those to S3 codes.
//
// # What is signed
//
// S3 signs the request as the client sent it, so the canonical forms are
// built from raw material, never from decoded-and-re-encoded values:
//
//   - the URI is the path of the request-target exactly as sent (S3 does not
//     normalise "." segments or escapes; xbcloud escapes like
//     curl_easy_escape, SDKs escape differently, and both must verify);
//   - query parameters are decoded, then URI-encoded per SigV4 (only
//     A-Za-z0-9-_.~ stay literal, upper-case hex) and sorted by name, then
//     value;
//   - signed headers come from the request in the order of SignedHeaders,
//     "host" from r.Host; repeated headers are joined with ",", values are
//     trimmed and runs of spaces collapsed.
//
// The credential scope must be well formed (akid/date/region/s3/aws4_request),
// its date must be the day of the request time, and with VerifyInRegion its
// region must be the endpoint's (S3 refuses any other; the chunk
// signatures of a streaming upload inherit the header's scope). Faults are
// worded in S3's own sentences (wording.go) and checked in S3's order, from
// the end of the scope: terminal, service, region, date. The request time may differ from the server's by MaxSkew; presigned
// URLs may be valid for 1 s to 7 days and may be dated at most MaxSkew in
// the future (the signer's clock may run ahead of the server's).
// Signatures are compared with hmac.Equal.
//
// # Refusals as S3 answers them
//
// The sentinel errors follow S3's answers rather than one "malformed"
// bucket: a missing, empty or unparsable request date (and a SigV2 date
// before 1970) is ErrBadDate, which S3 answers 403 AccessDenied; an
// X-Amz-Expires of 0, negative or over 604800 s, and a SigV2 Expires more
// than 7 days ahead, are ErrPresignExpiry (403); an Authorization scheme S3
// does not know, or a SigV2 header without "key:signature", is
// ErrInvalidArgument (400); an empty Authorization header is no
// authentication at all (ErrMissing). x-amz-date wins over Date even when
// empty, and Date may use a numeric zone ("-0000", as Python's
// email.utils.formatdate writes it for botocore).
//
// # Streaming payloads
//
// For the signed aws-chunked forms (x-amz-content-sha256 of
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) Result.Chunks carries a
// ChunkSigner seeded with the request's signature; the chunked decoder calls
// it once per chunk and once for the trailer. The chain makes every chunk
// depend on all chunks before it.
//
// # SigV2
//
// The string to sign is Method, Content-MD5, Content-Type, Date (empty when
// x-amz-date is present; the Expires value for presigned URLs), the
// x-amz-* headers in canonical form, and the canonical resource: "/bucket"
// for virtual-host requests (hence VerifyWithBucket), the path as sent, and
// the sub-resource parameters in sorted order. Client differences are
// tolerated by trying each variant, all with constant-time comparison:
// xbcloud writes each x-amz-* header as "name=value" with the value in
// lower case (not "name:value"); with x-amz-date, the documented rule
// (empty Date line, x-amz-date among the amz headers) and the
// documentation's own example (x-amz-date's value on the Date line) differ;
// clients disagree on which parameters are sub-resources (the classic
// documented list against the longer one of newer SDKs); and a few sign the
// key unescaped rather than as sent (both name the same object). Each
// variant binds the same method, headers, bucket, key and sub-resources; at
// most 24 HMAC-SHA1s of a few hundred bytes are computed, and only when the
// first does not match.
package auth
