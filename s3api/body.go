package s3api

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"envelopegw/s3api/auth"
	"envelopegw/s3api/checksum"
	"envelopegw/s3api/chunked"

	md5simd "github.com/minio/md5-simd"
)

// minChunkSize is S3's smallest aws-chunked chunk but the last.
const minChunkSize = 8 << 10

// requestBody is the Body the Service reads: the payload after aws-chunked
// decoding, hashed in the same pass (MD5 always, SHA-256 when the client
// signed a payload digest, the one x-amz-checksum it declared), verified
// when the payload ends. Read returns io.EOF only after every check passed;
// a failed check is returned as an *Error instead, and stays the answer to
// every later Read.
type requestBody struct {
	src      io.Reader
	chunks   *chunked.Reader // non-nil for aws-chunked bodies
	size     int64           // declared decoded length, -1 if unknown
	limit    int64           // most bytes accepted when size is unknown
	tooLarge *Error          // the answer past limit
	n        int64

	mu      sync.Mutex // Read against release (a Service may misbehave)
	md5     hash.Hash
	release func()
	wantMD5 []byte
	sha     hash.Hash
	wantSHA []byte

	ck *bodyChecksum // nil when the client declared none

	err     error
	pending error // a deferred failure of an empty body (bodyOptions.deferEmpty)
	sums    Sums
}

// bodyChecksum is the x-amz-checksum-* a request declared.
type bodyChecksum struct {
	alg     string
	h       hash.Hash
	want    string // from the header; "" when it comes in the trailer or not at all
	trailer bool   // the value arrives in the aws-chunked trailer
	shared  bool   // h is the payload's SHA-256 hash, fed by it
}

// bodyOptions say what kind of body the operation accepts.
type bodyOptions struct {
	requireLength bool  // PUT object/part: Content-Length or x-amz-decoded-content-length
	maxSize       int64 // larger declared or actual payloads are refused
	tooLarge      *Error
	// objectChecksums: x-amz-checksum-<alg> headers describe the object
	// being completed, not this body.
	objectChecksums bool
	// src, when set, is the payload instead of the request body: the file
	// part of a browser-form upload, whose length is not known up front.
	src io.Reader
	// deferEmpty: a failed check of an empty body is returned by Read
	// (and consumed) instead of by openBody, so that the Service can
	// answer its own refusals first (UploadPart: the upload's checksum
	// algorithm). Only for handlers that call consumed on success.
	deferEmpty bool
}

// openBody prepares the request body for reading. It validates the headers
// that describe the body; nothing is read yet.
func (rq *request) openBody(o bodyOptions) (*requestBody, error) {
	r := rq.r
	b := &requestBody{size: -1, limit: o.maxSize, tooLarge: o.tooLarge}

	payload := ""
	if rq.auth != nil {
		payload = rq.auth.PayloadHash
	}
	if payload == "" {
		// SigV2 does not sign a payload digest, but a digest the client
		// sends anyway is still worth checking.
		payload = r.Header.Get("x-amz-content-sha256")
	}

	trailerMode := false
	if strings.HasPrefix(payload, "STREAMING-") {
		var signed bool
		switch payload {
		case auth.PayloadStreaming:
			signed = true
		case auth.PayloadStreamingTrailer:
			signed, trailerMode = true, true
		case auth.PayloadStreamingUnsignedTrailer:
			trailerMode = true
		default:
			return nil, ErrNotImplemented.WithMessage("x-amz-content-sha256 %q is not supported.", truncate(payload, 64))
		}
		if signed && (rq.auth == nil || rq.auth.Chunks == nil) {
			return nil, ErrInvalidRequest.WithMessage("A signed streaming payload needs a SigV4 Authorization header.")
		}
		dl := r.Header.Get("x-amz-decoded-content-length")
		if dl == "" {
			return nil, ErrMissingContentLength.WithMessage("An aws-chunked body needs the x-amz-decoded-content-length header.")
		}
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 {
			// S3 treats a value that is not a byte count as no value.
			return nil, ErrMissingContentLength.WithDetail("x-amz-decoded-content-length %q is not a byte count.", truncate(dl, 64))
		}
		b.size = n
		var v chunked.Verifier
		if signed {
			v = rq.auth.Chunks
		}
		b.chunks = chunked.New(rq.in, chunked.Options{
			Signed:            signed,
			Verifier:          v,
			Trailer:           trailerMode,
			HasDecodedLength:  true,
			DecodedLength:     n,
			MinChunkSize:      minChunkSize,
			CheckTrailerNames: true,
			StrictEnd:         true,
			TrailerNames:      commaList(r.Header.Values("x-amz-trailer")),
		})
		b.src = b.chunks
	} else {
		if hasToken(r.Header.Values("Content-Encoding"), "aws-chunked") {
			return nil, ErrInvalidRequest.WithMessage("Content-Encoding aws-chunked needs a STREAMING-* x-amz-content-sha256.")
		}
		if isHexSHA256(payload) {
			b.wantSHA, _ = hex.DecodeString(payload)
			b.sha = sha256.New()
		}
		b.size = r.ContentLength
		if b.size < 0 && o.requireLength {
			return nil, ErrMissingContentLength
		}
		b.src = rq.in
		if o.src != nil {
			b.size, b.src = -1, o.src
		}
	}
	if b.size > o.maxSize {
		return nil, o.tooLarge
	}

	// A Content-MD5 header that is present but empty is malformed too
	// (S3: InvalidDigest), not absent.
	if vs := r.Header.Values("Content-MD5"); len(vs) > 0 {
		v := vs[0]
		d, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(d) != md5.Size {
			return nil, ErrInvalidDigest.WithMessage("Content-MD5 %q is not base64 of 16 bytes.", truncate(v, 64))
		}
		b.wantMD5 = d
	}

	ck, err := declaredChecksum(r.Header, trailerMode, !o.objectChecksums)
	if err != nil {
		return nil, err
	}
	if ck != nil && b.sha != nil && ck.alg == checksum.SHA256 {
		// The signed payload hash and the checksum are the same SHA-256
		// of the same bytes: compute it once.
		ck.h, ck.shared = b.sha, true
	}
	b.ck = ck

	if rq.h.stdMD5 {
		h := md5simd.StdlibHasher()
		b.md5, b.release = h, h.Close
	} else {
		h := rq.h.md5.NewHash()
		b.md5, b.release = h, h.Close
	}
	rq.body = b
	if b.size == 0 {
		// Nothing to stream: verify now (digests of the empty payload, an
		// aws-chunked trailer), so that a Service that does not read an
		// empty body cannot skip the checks.
		var one [1]byte
		if _, err := b.Read(one[:]); err != nil && err != io.EOF {
			if !o.deferEmpty {
				b.close()
				return nil, err
			}
			// Kept for the first Read (and consumed): until the Service
			// reads, its own refusal is the answer.
			b.pending, b.err = err, nil
		}
	}
	return b, nil
}

// unknownChecksumHeader reports an x-amz-checksum-<name> header that is
// neither a known algorithm nor one of the checksum request headers
// (-type, -algorithm, -mode): accepting it would mean not verifying it.
func unknownChecksumHeader(name string) bool {
	const prefix = "x-amz-checksum-"
	if len(name) <= len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
		return false
	}
	switch strings.ToLower(name[len(prefix):]) {
	case "type", "algorithm", "mode":
		return false
	}
	return true
}

// declaredChecksum finds the one x-amz-checksum the request declares: as a
// header with its value, as a trailer named by x-amz-trailer, or only by
// algorithm through x-amz-sdk-checksum-algorithm (then it is computed and
// returned in Sums but there is nothing to compare).
//
// With headerValues false the x-amz-checksum-<alg> headers are not about
// the body (CompleteMultipartUpload: they state the whole object's
// checksum) and are left alone.
func declaredChecksum(h http.Header, trailerMode, headerValues bool) (*bodyChecksum, error) {
	multiple := ErrInvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	var ck *bodyChecksum
	var named []string // x-amz-checksum-<alg> headers, validated after counting
	for name := range h {
		alg := checksum.FromHeaderName(name)
		if alg == "" && unknownChecksumHeader(name) {
			return nil, ErrInvalidRequest.WithMessage("The algorithm type you specified in x-amz-checksum- header is invalid.").WithDetail("%s names no checksum algorithm this gateway knows; it cannot be verified.", truncate(strings.ToLower(name), 64))
		}
		if alg != "" && headerValues {
			named = append(named, name)
		}
	}
	// S3 counts the checksum headers before it looks at their values.
	if len(named) > 1 {
		return nil, multiple
	}
	for _, name := range named {
		alg, v := checksum.FromHeaderName(name), h.Get(name)
		if _, err := checksum.Decode(alg, v); err != nil {
			return nil, ErrInvalidRequest.WithMessage("Value for %s header is invalid.", strings.ToLower(name))
		}
		ck = &bodyChecksum{alg: alg, want: v}
	}
	for _, t := range commaList(h.Values("x-amz-trailer")) {
		alg := checksum.FromHeaderName(t)
		if alg == "" {
			return nil, ErrInvalidRequest.WithMessage("x-amz-trailer %q is not a supported checksum trailer.", truncate(t, 64))
		}
		if !trailerMode {
			return nil, ErrInvalidRequest.WithMessage("x-amz-trailer needs an aws-chunked body with a trailer (STREAMING-*-TRAILER).")
		}
		if ck != nil {
			return nil, multiple
		}
		ck = &bodyChecksum{alg: alg, trailer: true}
	}
	if v := h.Get("x-amz-sdk-checksum-algorithm"); v != "" {
		alg := checksum.Canonical(v)
		if alg == "" || ck != nil && ck.alg != alg {
			// Unknown, or naming another algorithm than the checksum
			// header or trailer the request carries.
			return nil, ErrInvalidRequest.WithMessage("Value for x-amz-sdk-checksum-algorithm header is invalid.").WithDetail("x-amz-sdk-checksum-algorithm is %q.", truncate(v, 64))
		}
		if ck == nil {
			ck = &bodyChecksum{alg: alg}
		}
	}
	if ck != nil {
		var err error
		if ck.h, err = checksum.New(ck.alg); err != nil {
			return nil, ErrInvalidRequest.WithMessage("%v", err)
		}
	}
	return ck, nil
}

// Read implements io.Reader.
func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending != nil {
		b.err, b.pending = b.pending, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.md5 == nil {
		return 0, ErrInternalError.WithMessage("request body read after the request finished")
	}
	n, err := b.src.Read(p)
	if n > 0 {
		b.n += int64(n)
		if b.size >= 0 && b.n > b.size {
			b.err = errBodyLengthMismatch.WithDetail("The body carries more than the declared %d bytes.", b.size)
			return 0, b.err
		}
		if b.n > b.limit {
			b.err = b.tooLarge
			return 0, b.err
		}
		b.md5.Write(p[:n])
		if b.sha != nil {
			b.sha.Write(p[:n])
		}
		if b.ck != nil && !b.ck.shared {
			b.ck.h.Write(p[:n])
		}
	}
	if err == nil && b.n == b.size {
		// The declared length is complete: look for the end now, so that
		// the digests are verified by the Read that delivers the last
		// byte. A Service that reads exactly Size bytes (io.ReadFull,
		// io.CopyN) and never asks for io.EOF is then still protected.
		err = b.probeEnd()
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		if b.err = b.finish(); b.err != nil {
			// Withhold the last bytes: an error must not arrive together
			// with data that io.ReadFull would accept and then drop it.
			return 0, b.err
		}
		b.err = io.EOF
		return n, nil
	default:
		b.err = b.readError(err)
		return 0, b.err
	}
}

// probeEnd reads past the declared length, which must give io.EOF (for
// aws-chunked bodies, after the final chunk and trailer were verified).
func (b *requestBody) probeEnd() error {
	var one [1]byte
	for range 100 {
		m, err := b.src.Read(one[:])
		if m > 0 {
			return errBodyLengthMismatch.WithDetail("The body carries more than the declared %d bytes.", b.size)
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// readError classifies an error from the connection or the chunk decoder.
func (b *requestBody) readError(err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		if e.Code == ErrRequestTimeout.Code || e.Code == ErrClientClosedRequest.Code {
			return e.WithMessage("%s (after %d body bytes)", e.Message, b.n)
		}
		return e
	case errors.Is(err, auth.ErrSignatureDoesNotMatch), errors.Is(err, chunked.ErrSignature):
		return ErrSignatureDoesNotMatch.WithMessage("The aws-chunked body failed verification: %v", err)
	case errors.Is(err, chunked.ErrLengthMismatch):
		return errBodyLengthMismatch.WithDetail("%v", err)
	case errors.Is(err, chunked.ErrMalformedTrailer):
		return ErrMalformedTrailerError.WithDetail("%v", err)
	case errors.Is(err, chunked.ErrChunkTooSmall):
		return ErrInvalidChunkSizeError.WithDetail("%v", err)
	case errors.Is(err, chunked.ErrTooLarge), errors.Is(err, chunked.ErrMalformed):
		// The body cannot be decoded into the bytes its headers declare;
		// S3 answers a broken aws-chunked framing as an incomplete body.
		return errBodyTerminated.WithDetail("The aws-chunked framing is broken: %v.", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		if b.size < 0 {
			// A form's file part has no declared length: it ends at the
			// form's closing boundary, which never came.
			return errBodyTerminated.WithDetail("The body ended after %d bytes, before its end.", b.n)
		}
		return errBodyTerminated.WithDetail("The body ended after %d bytes, before the declared %d.", b.n, b.size)
	}
	return errBodyTerminated.WithDetail("Reading the request body failed after %d bytes: %v", b.n, err)
}

// finish verifies the digests once the payload has ended.
func (b *requestBody) finish() error {
	if b.size >= 0 && b.n != b.size {
		return errBodyLengthMismatch.WithDetail("The request body ended after %d bytes, before the declared %d.", b.n, b.size)
	}
	if b.sha != nil {
		if got := b.sha.Sum(nil); !bytes.Equal(got, b.wantSHA) {
			return ErrXAmzContentSHA256Mismatch.
				WithField("ClientComputedContentSHA256", hex.EncodeToString(b.wantSHA)).
				WithField("S3ComputedContentSHA256", hex.EncodeToString(got))
		}
	}
	b.sums.MD5 = b.md5.Sum(nil)
	if b.wantMD5 != nil && !bytes.Equal(b.sums.MD5, b.wantMD5) {
		return ErrBadDigest.WithMessage("The Content-MD5 you specified did not match what we received.")
	}
	if b.ck != nil {
		want := b.ck.want
		if b.ck.trailer {
			name := checksum.HeaderName(b.ck.alg)
			want = b.chunks.Trailer().Get(name)
			if want == "" {
				return ErrMalformedTrailerError.WithDetail("The %s trailer announced in x-amz-trailer is missing.", name)
			}
			if _, err := checksum.Decode(b.ck.alg, want); err != nil {
				return ErrInvalidRequest.WithMessage("Value for %s trailing header is invalid.", name)
			}
		}
		got := checksum.Encode(b.ck.h.Sum(nil))
		if want != "" && got != want {
			return ErrBadDigest.WithMessage("The %s you specified did not match the calculated checksum.", b.ck.alg)
		}
		b.sums.Checksums = Checksums{b.ck.alg: got}
	}
	return nil
}

// Sums implements Body.
func (b *requestBody) Sums() Sums {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != io.EOF {
		return Sums{}
	}
	return b.sums
}

// verified reports whether the whole body was read and verified.
func (b *requestBody) verified() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err == io.EOF
}

// consumed checks, after the Service accepted the body, that it read and
// verified all of it; a Service that stops early could otherwise store
// unverified bytes without anyone noticing.
func (b *requestBody) consumed() error {
	if err := b.failed(); err != nil {
		return err
	}
	b.mu.Lock()
	pending := b.pending
	b.mu.Unlock()
	if pending != nil {
		return pending // an empty body whose check failed, never read
	}
	if !b.verified() {
		return fmt.Errorf("s3api: the Service returned success after reading %d of %d body bytes, so the body was never verified", b.n, b.size)
	}
	return nil
}

// failed returns the verification error the body produced, if any.
func (b *requestBody) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil || b.err == io.EOF {
		return nil
	}
	return b.err
}

// close returns the MD5 hasher to its pool; the body is unusable after.
func (b *requestBody) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.release != nil {
		b.release()
		b.release, b.md5 = nil, nil
	}
}

// readAll reads a small request document (XML) through the verifying body,
// refusing more than max bytes.
func (b *requestBody) readAll(max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(b, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, ErrMalformedXML.WithMessage("The %s body is larger than %d bytes.", what, max)
	}
	// Fewer than max+1 bytes means the body reached io.EOF: verified.
	return data, nil
}

// bodyError prefers the body's own verification error over whatever the
// Service made of it, so that a BadDigest is reported as such even if the
// Service wrapped it without %w.
func (rq *request) bodyError(err error) error {
	if rq.body != nil {
		if berr := rq.body.failed(); berr != nil {
			return berr
		}
	}
	return err
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// commaList splits comma-separated header values, trimming spaces.
func commaList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func hasToken(vs []string, tok string) bool {
	for _, s := range commaList(vs) {
		if strings.EqualFold(s, tok) {
			return true
		}
	}
	return false
}

// bytesIn is how much of the request payload was read, for the log.
func (rq *request) bytesIn() int64 {
	if rq.body == nil {
		return 0
	}
	rq.body.mu.Lock()
	defer rq.body.mu.Unlock()
	return rq.body.n
}
