package chunked

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"
	"unsafe"
)

// Verifier checks chunk and trailer signatures; *auth.ChunkSigner
// implements it. sig is only valid during the call: implementations must
// not retain it.
type Verifier interface {
	VerifyChunk(sum []byte, sig string) error
	VerifyTrailer(canonical []byte, sig string) error
}

// Errors. Every error from Read wraps one of these or io.ErrUnexpectedEOF,
// or is an error of the underlying reader.
var (
	// ErrMalformed: the body does not follow the aws-chunked grammar.
	ErrMalformed = errors.New("malformed aws-chunked body")
	// ErrSignature: a chunk or trailer signature is missing or wrong.
	ErrSignature = errors.New("aws-chunked signature mismatch")
	// ErrTooLarge: a chunk, line or trailer exceeds its bound.
	ErrTooLarge = errors.New("aws-chunked element too large")
	// ErrLengthMismatch: the decoded length differs from the declared
	// x-amz-decoded-content-length.
	ErrLengthMismatch = errors.New("aws-chunked decoded length mismatch")
	// ErrMalformedTrailer marks, besides ErrMalformed or ErrTooLarge, an
	// error in the trailer's lines: S3 answers those MalformedTrailerError
	// rather than as a broken body.
	ErrMalformedTrailer = errors.New("malformed aws-chunked trailer")
	// ErrChunkTooSmall: a chunk other than the last carrying data is
	// smaller than Options.MinChunkSize.
	ErrChunkTooSmall = errors.New("aws-chunked chunk smaller than the minimum")
)

// Bounds.
const (
	DefaultMaxChunkSize = 16 << 20  // per chunk, the largest buffered chunk
	maxLine             = 4096      // chunk header or trailer line, CRLF included
	maxTrailers         = 16        // trailer lines besides the signature
	maxTrailerBytes     = 16 << 10  // all trailer lines together
	bufSize             = 32 << 10  // bufio buffer, ≥ maxLine
	pooledChunk         = 128 << 10 // chunk buffers up to this size are pooled
)

// chunkPool recycles chunk buffers across requests: SDKs sign 64 KiB or
// 128 KiB chunks, and many uploads run at once.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, pooledChunk); return &b }}

// Options configure a Reader.
type Options struct {
	// Signed: chunks carry chunk-signature extensions, checked by Verifier
	// (required), and a trailer ends with x-amz-trailer-signature.
	Signed   bool
	Verifier Verifier
	// Trailer: trailing header lines follow the final chunk.
	Trailer bool
	// HasDecodedLength makes the Reader check that the payload is exactly
	// DecodedLength bytes (x-amz-decoded-content-length).
	HasDecodedLength bool
	DecodedLength    int64
	// MaxChunkSize bounds each chunk; 0 means DefaultMaxChunkSize.
	MaxChunkSize int
	// MinChunkSize, when positive, is the smallest size allowed for a
	// chunk that is followed by another chunk carrying data (S3: 8 KiB).
	MinChunkSize int
	// CheckTrailerNames makes the trailer forms require that the trailer
	// carries exactly TrailerNames (the names the request declared in
	// x-amz-trailer), each once: an undeclared, missing or repeated
	// trailer is ErrMalformedTrailer, found before the trailer signature
	// is checked.
	CheckTrailerNames bool
	TrailerNames      []string
	// StrictEnd makes the trailer forms require what every SDK sends and
	// S3 requires: the body ends with an empty line, and in the signed
	// form the trailer's last line is its signature. A body that breaks
	// either is broken framing (ErrMalformed), reported before the
	// trailer names are checked.
	StrictEnd bool
}

type state int

const (
	stHeader   state = iota // expecting a chunk header line
	stData                  // unsigned: streaming the current chunk's data
	stRelease               // signed: releasing the verified buffer
	stDataCRLF              // expecting the CRLF after chunk data
	stDone                  // io.EOF
)

// Reader decodes an aws-chunked body. It is not safe for concurrent use.
type Reader struct {
	br   *bufio.Reader
	opts Options
	max  int

	st        state
	err       error
	chunkNo   int   // 1-based number of the current chunk
	offset    int64 // encoded bytes consumed, for error messages
	remaining int64 // unsigned: data bytes left in the chunk
	decoded   int64 // payload bytes so far
	prevSize  int64 // size of the previous chunk, for MinChunkSize

	// Signed chunk buffering.
	buf     []byte
	pooled  *[]byte // d.buf's pool entry, if it came from chunkPool
	out     []byte  // verified bytes not yet returned
	sha     hash.Hash
	sum     [sha256.Size]byte
	sig     [64]byte
	sigLen  int
	trailer http.Header
	canon   []byte
}

// NewReader returns a Reader for the body r. v verifies the signatures of
// the signed forms (nil for STREAMING-UNSIGNED-PAYLOAD-TRAILER); trailer
// says whether trailing headers follow the final chunk.
func NewReader(r io.Reader, v Verifier, signed bool, trailer bool) *Reader {
	return New(r, Options{Signed: signed, Verifier: v, Trailer: trailer})
}

// New returns a Reader for the body r configured by o.
func New(r io.Reader, o Options) *Reader {
	d := &Reader{br: bufio.NewReaderSize(r, bufSize), opts: o, max: o.MaxChunkSize}
	if d.max <= 0 {
		d.max = DefaultMaxChunkSize
	}
	if o.Signed {
		d.sha = sha256.New()
		if o.Verifier == nil {
			d.err = fmt.Errorf("%w: signed aws-chunked body but no verifier", ErrSignature)
		}
	}
	if o.HasDecodedLength && o.DecodedLength < 0 {
		d.err = fmt.Errorf("%w: negative x-amz-decoded-content-length %d", ErrMalformed, o.DecodedLength)
	}
	return d
}

// Trailer returns the trailing headers (without x-amz-trailer-signature),
// with canonical names ("X-Amz-Checksum-Crc32c"). It is valid after Read
// returned io.EOF; before that, or when there was no trailer, it is empty.
func (d *Reader) Trailer() http.Header {
	if d.st != stDone || d.trailer == nil {
		return http.Header{}
	}
	return d.trailer
}

// Read reads decoded payload bytes.
func (d *Reader) Read(p []byte) (int, error) {
	for {
		if d.err != nil {
			return 0, d.err
		}
		switch d.st {
		case stDone:
			return 0, io.EOF
		case stRelease:
			if len(d.out) > 0 {
				if len(p) == 0 {
					return 0, nil
				}
				n := copy(p, d.out)
				d.out = d.out[n:]
				return n, nil
			}
			d.st = stHeader
		case stData:
			if d.remaining == 0 {
				d.st = stDataCRLF
				continue
			}
			if len(p) == 0 {
				return 0, nil
			}
			if int64(len(p)) > d.remaining {
				p = p[:d.remaining]
			}
			n, err := d.br.Read(p)
			d.remaining -= int64(n)
			d.offset += int64(n)
			if err != nil && !(err == io.EOF && d.remaining == 0) {
				d.fail(d.readErr(err, "chunk data"))
				if n == 0 {
					return 0, d.err
				}
			}
			return n, nil
		case stDataCRLF:
			if err := d.expectCRLF("after chunk data"); err != nil {
				d.fail(err)
				continue
			}
			d.st = stHeader
		case stHeader:
			d.fail(d.nextChunk())
		}
	}
}

func (d *Reader) fail(err error) {
	if err != nil && d.err == nil {
		d.err = err
		d.release()
	}
}

// release returns the chunk buffer to the pool once the stream is over.
func (d *Reader) release() {
	if d.pooled != nil {
		chunkPool.Put(d.pooled)
	}
	d.pooled, d.buf, d.out = nil, nil, nil
}

// where describes the current position for error messages.
func (d *Reader) where() string {
	return fmt.Sprintf("chunk %d, body offset %d", d.chunkNo, d.offset)
}

func (d *Reader) readErr(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("aws-chunked body truncated in %s (%s): %w", what, d.where(), io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("aws-chunked body: reading %s (%s): %w", what, d.where(), err)
}

// readLine returns the next line without its CRLF. The slice is valid
// until the next read.
func (d *Reader) readLine(what string) ([]byte, error) {
	line, err := d.br.ReadSlice('\n')
	d.offset += int64(len(line))
	switch {
	case err == bufio.ErrBufferFull || len(line) > maxLine:
		return nil, fmt.Errorf("%w: %s longer than %d bytes (%s)", ErrTooLarge, what, maxLine, d.where())
	case err != nil:
		return nil, d.readErr(err, what)
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, fmt.Errorf("%w: %s does not end in CRLF (%s)", ErrMalformed, what, d.where())
	}
	return line[:len(line)-2], nil
}

func (d *Reader) expectCRLF(what string) error {
	for _, want := range [2]byte{'\r', '\n'} {
		c, err := d.br.ReadByte()
		if err != nil {
			return d.readErr(err, "CRLF "+what)
		}
		d.offset++
		if c != want {
			return fmt.Errorf("%w: expected CRLF %s, found %q (%s)", ErrMalformed, what, c, d.where())
		}
	}
	return nil
}

// nextChunk reads a chunk header and, for a signed chunk, the whole chunk.
func (d *Reader) nextChunk() error {
	d.chunkNo++
	line, err := d.readLine("chunk header")
	if err != nil {
		return err
	}
	size, err := d.parseHeader(line)
	if err != nil {
		return err
	}
	if d.opts.HasDecodedLength && d.decoded+size > d.opts.DecodedLength {
		return d.overLength(size)
	}
	if size > 0 && d.chunkNo > 1 && d.prevSize < int64(d.opts.MinChunkSize) {
		return fmt.Errorf("%w: chunk %d carries %d bytes, fewer than %d, and is not the last (%s)", ErrChunkTooSmall, d.chunkNo-1, d.prevSize, d.opts.MinChunkSize, d.where())
	}
	d.prevSize = size
	d.decoded += size
	if !d.opts.Signed {
		if size == 0 {
			return d.finish()
		}
		d.remaining = size
		d.st = stData
		return nil
	}
	// Signed: read, hash and verify the whole chunk before releasing it.
	buf := d.buf[:0]
	if int64(cap(buf)) < size && d.pooled == nil && size <= pooledChunk {
		d.pooled = chunkPool.Get().(*[]byte)
		buf = (*d.pooled)[:0]
	}
	d.sha.Reset()
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			// Grow as the bytes arrive, doubling: a chunk header alone
			// cannot make the reader allocate the size it declares.
			nb := make([]byte, len(buf), min(size, max(2*int64(cap(buf)), pooledChunk)))
			copy(nb, buf)
			if d.pooled != nil {
				chunkPool.Put(d.pooled)
				d.pooled = nil
			}
			buf = nb
		}
		n, err := d.br.Read(buf[len(buf):min(int64(cap(buf)), size)])
		d.sha.Write(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+n]
		d.offset += int64(n)
		if err != nil && int64(len(buf)) < size {
			d.buf = buf
			return d.readErr(err, "chunk data")
		}
	}
	d.buf = buf
	if size > 0 {
		if err := d.expectCRLF("after chunk data"); err != nil {
			return err
		}
	}
	d.sha.Sum(d.sum[:0])
	if err := d.opts.Verifier.VerifyChunk(d.sum[:], unsafe.String(&d.sig[0], d.sigLen)); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSignature, d.where(), err)
	}
	if size == 0 {
		return d.finish()
	}
	d.out = buf
	d.st = stRelease
	return nil
}

// overLength handles a chunk that would carry the payload past the
// declared length. None of it is released; it is read through (at most
// one chunk, bounded by MaxChunkSize) so that a chunk whose framing is
// broken too is reported as broken framing, as S3 does, and a well-framed
// one as a length mismatch.
func (d *Reader) overLength(size int64) error {
	n, err := io.CopyN(io.Discard, d.br, size)
	d.offset += n
	if err != nil {
		return d.readErr(err, "chunk data")
	}
	if size > 0 {
		if err := d.expectCRLF("after chunk data"); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: chunks carry more than the declared %d bytes (%s)", ErrLengthMismatch, d.opts.DecodedLength, d.where())
}

// parseHeader parses "hex-size[;ext...]" and, in the signed forms, keeps
// the chunk signature in d.sig.
func (d *Reader) parseHeader(line []byte) (int64, error) {
	i := 0
	var size int64
	for ; i < len(line) && isHex(line[i]); i++ {
		if i >= 16 {
			return 0, fmt.Errorf("%w: chunk size has more than 16 hex digits (%s)", ErrTooLarge, d.where())
		}
		size = size<<4 | int64(unhex(line[i]))
	}
	if i == 0 {
		return 0, fmt.Errorf("%w: chunk header %.64q does not start with a hex size (%s)", ErrMalformed, line, d.where())
	}
	if size < 0 || size > int64(d.max) {
		return 0, fmt.Errorf("%w: chunk of %d bytes exceeds the %d-byte limit (%s)", ErrTooLarge, uint64(size), d.max, d.where())
	}
	ext := line[i:]
	if len(ext) > 0 && ext[0] != ';' {
		return 0, fmt.Errorf("%w: chunk header %.64q: unexpected %q after the size (%s)", ErrMalformed, line, ext[0], d.where())
	}
	d.sigLen = 0
	const sigKey = "chunk-signature="
	for len(ext) > 0 {
		ext = ext[1:] // ';'
		var e []byte
		if j := indexByte(ext, ';'); j >= 0 {
			e, ext = ext[:j], ext[j:]
		} else {
			e, ext = ext, nil
		}
		if len(e) >= len(sigKey) && string(e[:len(sigKey)]) == sigKey {
			if d.sigLen != 0 {
				return 0, fmt.Errorf("%w: two chunk signatures in one header (%s)", ErrMalformed, d.where())
			}
			s := e[len(sigKey):]
			if len(s) != len(d.sig) {
				// A header that does not parse is broken framing (S3:
				// IncompleteBody), not a wrong signature.
				return 0, fmt.Errorf("%w: chunk signature must be 64 hex digits, got %d bytes (%s)", ErrMalformed, len(s), d.where())
			}
			d.sigLen = copy(d.sig[:], s)
		} else if d.opts.Signed {
			return 0, fmt.Errorf("%w: unexpected chunk extension %.64q (%s)", ErrMalformed, e, d.where())
		}
		// Unsigned form: other extensions and a stray signature are ignored.
	}
	if d.opts.Signed && d.sigLen == 0 {
		return 0, fmt.Errorf("%w: chunk header has no chunk-signature (%s)", ErrMalformed, d.where())
	}
	return size, nil
}

// finish handles everything after the final chunk's header (and, when
// signed, its verified signature).
func (d *Reader) finish() error {
	if d.opts.Trailer {
		if err := d.readTrailer(); err != nil {
			return err
		}
	} else {
		// The final CRLF; a body that ends right after the final chunk's
		// header is accepted, everything it could carry is verified.
		if _, err := d.br.Peek(1); err == io.EOF {
			return d.end()
		}
		if err := d.expectCRLF("after the final chunk"); err != nil {
			return err
		}
	}
	return d.end()
}

func (d *Reader) end() error {
	if d.opts.HasDecodedLength && d.decoded != d.opts.DecodedLength {
		return fmt.Errorf("%w: decoded %d bytes, x-amz-decoded-content-length says %d", ErrLengthMismatch, d.decoded, d.opts.DecodedLength)
	}
	if b, err := d.br.Peek(1); len(b) > 0 {
		return fmt.Errorf("%w: data after the end of the aws-chunked body (body offset %d)", ErrMalformed, d.offset)
	} else if err != nil && err != io.EOF {
		return d.readErr(err, "end of body")
	}
	d.st = stDone
	d.release()
	return nil
}

// readTrailer reads "name:value" lines up to the end of the body and, in
// the signed form, verifies the trailer signature, which must be the last
// line. Clients disagree on the line framing (the documented form ends
// every line in CRLF and the trailer with an empty line; minio-go ends
// trailer lines in a bare LF and adds empty lines), so lines may end in LF
// or CRLF and empty lines are skipped; the trailer ends where the body ends.
func (d *Reader) readTrailer() error {
	d.trailer = http.Header{}
	d.canon = d.canon[:0]
	total, count := 0, 0
	sigSeen, lastEmpty := false, false
	for {
		if _, err := d.br.Peek(1); err == io.EOF {
			break
		}
		line, n, err := d.readTrailerLine()
		if err != nil {
			return err
		}
		if total += n; total > maxTrailerBytes {
			return fmt.Errorf("%w: %w: trailer longer than %d bytes", ErrMalformedTrailer, ErrTooLarge, maxTrailerBytes)
		}
		if lastEmpty = len(line) == 0; lastEmpty {
			continue
		}
		if sigSeen {
			return fmt.Errorf("%w: trailer line after x-amz-trailer-signature (body offset %d)", ErrMalformed, d.offset)
		}
		colon := indexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return fmt.Errorf("%w: %w: trailer line %.64q is not name:value (body offset %d)", ErrMalformedTrailer, ErrMalformed, line, d.offset)
		}
		name := lower(line[:colon])
		value := trimSpace(line[colon+1:])
		if string(name) == "x-amz-trailer-signature" {
			if len(value) != len(d.sig) {
				return fmt.Errorf("%w: trailer signature must be 64 hex digits, got %d bytes", ErrMalformed, len(value))
			}
			d.sigLen = copy(d.sig[:], value)
			sigSeen = true
			continue
		}
		if count++; count > maxTrailers {
			return fmt.Errorf("%w: %w: more than %d trailer lines", ErrMalformedTrailer, ErrTooLarge, maxTrailers)
		}
		d.canon = append(d.canon, name...)
		d.canon = append(d.canon, ':')
		d.canon = append(d.canon, value...)
		d.canon = append(d.canon, '\n')
		d.trailer.Add(string(name), string(value))
	}
	if d.opts.StrictEnd && !lastEmpty {
		return fmt.Errorf("aws-chunked body ends without the empty line after the trailer (body offset %d): %w", d.offset, io.ErrUnexpectedEOF)
	}
	if d.opts.StrictEnd && d.opts.Signed && !sigSeen {
		return fmt.Errorf("%w: the signed trailer does not end with x-amz-trailer-signature (body offset %d)", ErrMalformed, d.offset)
	}
	if d.opts.CheckTrailerNames {
		if err := d.checkTrailerNames(); err != nil {
			return err
		}
	}
	if d.opts.Signed {
		if !sigSeen {
			return fmt.Errorf("%w: signed trailer without x-amz-trailer-signature", ErrSignature)
		}
		if err := d.opts.Verifier.VerifyTrailer(d.canon, unsafe.String(&d.sig[0], d.sigLen)); err != nil {
			return fmt.Errorf("%w: trailer: %w", ErrSignature, err)
		}
	}
	return nil
}

// checkTrailerNames compares the trailer's header names with the ones the
// request declared (Options.TrailerNames).
func (d *Reader) checkTrailerNames() error {
	for name, vs := range d.trailer {
		if len(vs) > 1 {
			return fmt.Errorf("%w: %w: trailer %s appears %d times", ErrMalformedTrailer, ErrMalformed, name, len(vs))
		}
		declared := false
		for _, n := range d.opts.TrailerNames {
			declared = declared || strings.EqualFold(n, name)
		}
		if !declared {
			return fmt.Errorf("%w: %w: trailer %.64s was not declared in x-amz-trailer", ErrMalformedTrailer, ErrMalformed, name)
		}
	}
	for _, n := range d.opts.TrailerNames {
		if d.trailer.Get(n) == "" {
			return fmt.Errorf("%w: %w: the trailer %.64s declared in x-amz-trailer is missing", ErrMalformedTrailer, ErrMalformed, n)
		}
	}
	return nil
}

// readTrailerLine returns the next trailer line without its LF or CRLF,
// and its length on the wire.
func (d *Reader) readTrailerLine() ([]byte, int, error) {
	line, err := d.br.ReadSlice('\n')
	n := len(line)
	d.offset += int64(n)
	switch {
	case err == bufio.ErrBufferFull || n > maxLine:
		return nil, n, fmt.Errorf("%w: %w: trailer line longer than %d bytes (body offset %d)", ErrMalformedTrailer, ErrTooLarge, maxLine, d.offset)
	case err != nil:
		return nil, n, d.readErr(err, "trailer line")
	}
	line = line[:n-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, n, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// isToken reports whether b is a non-empty HTTP field name.
func isToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return len(b) > 0
}

// lower lower-cases ASCII in place.
func lower(b []byte) []byte {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
