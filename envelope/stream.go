package envelope

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// Encrypt returns a writer that encrypts a single-file envelope (header,
// one part, part table trailer) to dst; Close finishes it.
func Encrypt(dst io.Writer, recipients []Recipient, opts *Options) (io.WriteCloser, error) {
	h, k, err := NewHeader(recipients, opts)
	if err != nil {
		return nil, err
	}
	return k.encryptFile(dst, h, nil)
}

// encryptFile writes h and starts part 1; salt fixes the part salt (test
// vectors) when non-nil.
func (k *Key) encryptFile(dst io.Writer, h *Header, salt *[saltSize]byte) (*fileWriter, error) {
	hb, err := h.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return k.encryptFileTo(dst, dst, hb, salt)
}

// encryptFileTo writes the header hb to dst and starts part 1, whose body
// goes to body (dst, or a writer in front of it).
func (k *Key) encryptFileTo(dst, body io.Writer, hb []byte, salt *[saltSize]byte) (*fileWriter, error) {
	if _, err := dst.Write(hb); err != nil {
		return nil, fmt.Errorf("envelope: writing header: %w", err)
	}
	var pw *PartWriter
	var err error
	if salt != nil {
		pw, err = k.newPartWriter(body, 1, *salt)
	} else {
		pw, err = k.NewPartWriter(body, 1)
	}
	if err != nil {
		return nil, err
	}
	return &fileWriter{dst: dst, k: k, pw: pw}, nil
}

type fileWriter struct {
	dst    io.Writer
	k      *Key
	pw     *PartWriter
	closed bool
	sign   func(table []byte) error // appends the signed record (EncryptSigned)
}

func (w *fileWriter) Write(p []byte) (int, error) { return w.pw.Write(p) }

// Close seals the last segment and writes the part table and footer.
func (w *fileWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.pw.Close(); err != nil {
		return err
	}
	t, err := w.k.SealTable([]PartInfo{w.pw.Info()})
	if err != nil {
		return err
	}
	if _, err := w.dst.Write(appendFooter(t, len(t))); err != nil {
		return fmt.Errorf("envelope: writing part table: %w", err)
	}
	if w.sign != nil {
		return w.sign(t)
	}
	return nil
}

// Decrypt reads a single-file envelope sequentially. Plaintext is released
// segment by segment as tags verify; the part table trailer is checked at
// the end, and Read returns an error instead of io.EOF if it fails.
//
// A sequential reader learns part boundaries from the segments' last flag
// and the file's end, and part numbers only from the table at the end: it
// assumes parts numbered 1, 2, 3... (as Encrypt writes: one part numbered
// 1) and that every part but the final one ends with a full segment.
// Other single-file envelopes fail here with ErrAuth and decrypt through
// DecryptReaderAt, which reads the table first.
func Decrypt(src io.Reader, identities ...Identity) (io.Reader, error) {
	h, err := ReadHeader(src)
	if err != nil {
		return nil, err
	}
	k, err := h.Unwrap(identities...)
	if err != nil {
		return nil, err
	}
	return k.newStreamReader(src), nil
}

// maxTail bounds what can follow the start of a part's final segment in a
// single file: that segment, the largest table and the footer.
func maxTail(seg int) int { return seg + tagSize + tableSize(MaxParts) + footerSize }

type streamReader struct {
	k   *Key
	src io.Reader
	seg int

	inp, ptp *[]byte
	in       []byte // ciphertext window; in[r:w] unread
	r, w     int
	eof      bool

	plain []byte // verified plaintext not yet handed out
	err   error

	done    bool // the table verified; io.EOF once s.plain is out
	inPart  bool // between a part's salt and its last segment
	part    PartInfo
	parts   []PartInfo
	index   uint64
	aead    cipher.AEAD
	nonce   [nonceSize]byte
	segCT   int
	batchPT int
}

func (k *Key) newStreamReader(src io.Reader) *streamReader {
	seg := k.segmentSize
	kb := batchSegments(seg)
	s := &streamReader{
		k: k, src: src, seg: seg, segCT: seg + tagSize, batchPT: kb * seg,
		inp: getBuf(saltSize + kb*(seg+tagSize) + maxTail(seg)),
		ptp: getBuf(kb * seg),
	}
	s.in = *s.inp
	return s
}

func (s *streamReader) Read(p []byte) (int, error) {
	for len(s.plain) == 0 {
		if s.err != nil {
			s.release()
			return 0, s.err
		}
		s.err = s.step()
	}
	n := copy(p, s.plain)
	s.plain = s.plain[n:]
	return n, nil
}

// WriteTo hands out each verified batch in one Write, without a copy.
func (s *streamReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(s.plain) > 0 {
			n, err := w.Write(s.plain)
			total += int64(n)
			s.plain = s.plain[n:]
			if err != nil {
				return total, err
			}
			continue
		}
		if s.err != nil {
			s.release()
			if s.err == io.EOF {
				return total, nil
			}
			return total, s.err
		}
		s.err = s.step()
	}
}

// fill reads until at least need bytes are buffered or the source ends,
// readBatch bytes per Read so that ciphertext is still in cache when it is
// opened. The window moves to the front only when need would not fit
// behind it, so a refill copies at most one segment.
func (s *streamReader) fill(need int) error {
	if s.w-s.r >= need || s.eof {
		return nil
	}
	if len(s.in)-s.r < need && s.r > 0 {
		s.w = copy(s.in, s.in[s.r:s.w])
		s.r = 0
	}
	for empty := 0; s.w < len(s.in) && s.w-s.r < need; {
		n, err := s.src.Read(s.in[s.w:min(len(s.in), s.w+readBatch)])
		s.w += n
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("envelope: reading envelope: %w", err)
		}
		if n > 0 {
			empty = 0
		} else if empty++; empty >= 100 {
			return fmt.Errorf("envelope: reading envelope: %w", io.ErrNoProgress)
		}
	}
	return nil
}

// step decrypts the next batch of segments into s.plain, or finishes.
func (s *streamReader) step() error {
	if s.done {
		return io.EOF
	}
	if s.inp == nil {
		return errors.New("envelope: read from finished reader")
	}
	if !s.inPart {
		return s.startPart()
	}
	pt := (*s.ptp)[:0]
	defer func() { s.plain = pt }()
	for len(pt)+s.seg <= s.batchPT && s.inPart {
		if err := s.fill(s.segCT); err != nil {
			return err
		}
		avail := s.w - s.r
		if avail >= s.segCT {
			c := s.in[s.r : s.r+s.segCT]
			setNonce(&s.nonce, s.index, false)
			if out, err := s.aead.Open(pt, s.nonce[:], c, nil); err == nil {
				pt = out
				s.consume(s.seg)
				continue
			}
			setNonce(&s.nonce, s.index, true)
			if out, err := s.aead.Open(pt, s.nonce[:], c, nil); err == nil {
				pt = out
				s.consume(s.seg)
				s.endPart()
				continue
			}
		}
		// Neither a full middle nor a full last segment: this must be a
		// short last segment, followed only by the table and footer.
		var err error
		pt, err = s.finalSegment(pt)
		return err
	}
	return nil
}

func (s *streamReader) consume(n int) {
	s.r += n + tagSize
	s.part.Size += int64(n)
	s.index++
}

func (s *streamReader) endPart() {
	s.parts = append(s.parts, s.part)
	s.inPart = false
}

// startPart reads a part salt, or recognises the trailer and finishes.
func (s *streamReader) startPart() error {
	if err := s.fill(len(s.in)); err != nil {
		return err
	}
	if s.eof {
		avail := s.w - s.r
		if avail >= footerSize {
			if tl, err := parseFooter(s.in[s.w-footerSize : s.w]); err == nil && tl == avail-footerSize {
				if err := s.finish(s.in[s.r : s.w-footerSize]); err != nil {
					return err
				}
				return io.EOF
			}
		}
		if avail < saltSize+tagSize+footerSize {
			return fmt.Errorf("%w: envelope truncated after %d parts", ErrAuth, len(s.parts))
		}
	}
	number := len(s.parts) + 1
	if number > MaxParts {
		return fmt.Errorf("%w: more than %d parts", ErrFormat, MaxParts)
	}
	var salt [saltSize]byte
	copy(salt[:], s.in[s.r:])
	s.r += saltSize
	a, err := s.k.partAEAD(number, salt)
	if err != nil {
		return err
	}
	s.aead, s.index, s.inPart = a, 0, true
	s.part = PartInfo{Number: number, Salt: salt}
	return nil
}

// finalSegment decrypts a part's short last segment, which is only
// possible at the end of the file where the footer tells where it ends.
func (s *streamReader) finalSegment(pt []byte) ([]byte, error) {
	if err := s.fill(len(s.in)); err != nil {
		return pt, err
	}
	avail := s.w - s.r
	if !s.eof || avail < footerSize+tableSize(0) {
		return pt, fmt.Errorf("%w: segment %d of part %d", ErrAuth, s.index, s.part.Number)
	}
	tl, err := parseFooter(s.in[s.w-footerSize : s.w])
	if err != nil {
		return pt, err
	}
	segLen := avail - footerSize - tl
	if segLen < tagSize || segLen > s.segCT {
		return pt, fmt.Errorf("%w: envelope truncated or extended in part %d", ErrAuth, s.part.Number)
	}
	setNonce(&s.nonce, s.index, true)
	out, err := s.aead.Open(pt, s.nonce[:], s.in[s.r:s.r+segLen], nil)
	if err != nil {
		return pt, fmt.Errorf("%w: last segment %d of part %d", ErrAuth, s.index, s.part.Number)
	}
	s.consume(segLen - tagSize)
	s.endPart()
	// Plaintext of this batch is released only with the verified table.
	if err := s.finish(s.in[s.r : s.w-footerSize]); err != nil {
		return pt[:0], err
	}
	return out, nil
}

// finish authenticates the table and checks it against the parts read.
func (s *streamReader) finish(tb []byte) error {
	t, err := s.k.OpenTable(tb)
	if err != nil {
		return err
	}
	if len(t.Parts) != len(s.parts) {
		return fmt.Errorf("%w: part table lists %d parts, the file holds %d", ErrAuth, len(t.Parts), len(s.parts))
	}
	for i, p := range t.Parts {
		if p != s.parts[i] {
			return fmt.Errorf("%w: part %d differs from the part table entry %d (number %d, %d bytes)", ErrAuth, s.parts[i].Number, i, p.Number, p.Size)
		}
	}
	s.done = true
	return nil
}

// release returns the buffers to their pools; only once s.plain, which
// points into one of them, is empty.
func (s *streamReader) release() {
	if s.inp != nil {
		putBuf(s.inp)
		clear(*s.ptp)
		putBuf(s.ptp)
		s.inp, s.in, s.ptp = nil, nil, nil
	}
}
