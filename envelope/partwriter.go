package envelope

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// PartInfo is one entry of the part table.
type PartInfo struct {
	Number int      // 1..10000
	Salt   [16]byte // random per part version: fresh subkey, no nonce reuse
	Size   int64    // plaintext bytes
	// A part written by NewSealedPart starts with its own header, which
	// seals the part's own data key: its length and SHA-256 (table
	// version 2). Zero for parts under the object's data key.
	HeaderLen  int
	HeaderHash [32]byte
}

// PartWriter encrypts one part as a stream: a salt prefix, then segments.
// Close seals the final segment; Info is valid after Close.
//
// Sealed segments collect in one pooled batch buffer and go to dst in
// writes of about 1 MiB. The buffer starts with room for one segment and
// grows to the whole batch when a second segment follows, so a small
// part (most objects of a backup's small files) holds 64 KiB rather than
// 1 MiB while it is written. Plaintext that arrives in large Writes is sealed
// straight from the caller's slice into the batch, so each byte is read
// once by the cipher and copied only when a segment straddles two Writes.
type PartWriter struct {
	dst     io.Writer
	aead    cipher.AEAD
	info    PartInfo
	seg     int
	bufp    *[]byte
	buf     []byte // batch; [0:w] sealed, [w:w+pending] plaintext of the open segment
	w       int
	pending int
	used    int // high-water mark of buf, what release must wipe
	batch   int // the full batch buffer's size, which buf grows to
	index   uint64
	nonce   [nonceSize]byte
	closed  bool
	err     error
	ownKey  *Key // a sealed part's own data key, wiped on Close
}

// NewPartWriter starts part number (1-based) of the envelope, writing
// ciphertext to dst in large writes (>= 1 MiB when the part is that big).
// Every call draws a fresh part salt, so re-sending a part number never
// reuses a (key, nonce) pair.
func (k *Key) NewPartWriter(dst io.Writer, number int) (*PartWriter, error) {
	if number < 1 || number > MaxParts {
		return nil, fmt.Errorf("envelope: part number %d outside 1..%d", number, MaxParts)
	}
	salt, err := randomSalt()
	if err != nil {
		return nil, err
	}
	return k.newPartWriter(dst, number, salt)
}

func (k *Key) newPartWriter(dst io.Writer, number int, salt [saltSize]byte) (*PartWriter, error) {
	aead, err := k.partAEAD(number, salt)
	if err != nil {
		return nil, err
	}
	seg := k.segmentSize
	pw := &PartWriter{
		dst:   dst,
		aead:  aead,
		info:  PartInfo{Number: number, Salt: salt},
		seg:   seg,
		bufp:  getBuf(saltSize + seg + tagSize),
		batch: saltSize + batchSegments(seg)*(seg+tagSize),
	}
	pw.buf = *pw.bufp
	copy(pw.buf, salt[:])
	pw.w = saltSize
	return pw, nil
}

var errClosed = errors.New("envelope: write to closed part writer")

func (pw *PartWriter) Write(p []byte) (int, error) {
	if pw.err != nil {
		return 0, pw.err
	}
	if pw.closed {
		return 0, errClosed
	}
	if pw.info.Size+int64(len(p)) > MaxPartSize {
		pw.err = fmt.Errorf("envelope: part %d exceeds %d bytes", pw.info.Number, int64(MaxPartSize))
		return 0, pw.err
	}
	n := 0
	for len(p) > 0 {
		// A full open segment is sealed only now that more data is known
		// to follow: it is not the last one.
		if pw.pending == pw.seg {
			if err := pw.sealPending(false); err != nil {
				return n, err
			}
		}
		if pw.pending == 0 && len(p) > pw.seg {
			// Seal straight from p; keep at least one byte back so that
			// the final segment is never sealed as non-last.
			pw.aead.Seal(pw.buf[pw.w:pw.w], pw.nextNonce(false), p[:pw.seg], nil)
			pw.w += pw.seg + tagSize
			pw.info.Size += int64(pw.seg)
			p = p[pw.seg:]
			n += pw.seg
			if err := pw.flushIfFull(); err != nil {
				return n, err
			}
			continue
		}
		c := copy(pw.buf[pw.w+pw.pending:pw.w+pw.seg], p)
		pw.pending += c
		pw.info.Size += int64(c)
		p = p[c:]
		n += c
	}
	return n, nil
}

func (pw *PartWriter) nextNonce(last bool) []byte {
	setNonce(&pw.nonce, pw.index, last)
	pw.index++
	return pw.nonce[:]
}

// sealPending seals the open segment in place. The last one stays in the
// buffer for Close's flush.
func (pw *PartWriter) sealPending(last bool) error {
	seg := pw.buf[pw.w : pw.w+pw.pending]
	pw.aead.Seal(seg[:0], pw.nextNonce(last), seg, nil)
	pw.w += pw.pending + tagSize
	pw.pending = 0
	if last {
		return nil
	}
	return pw.flushIfFull()
}

// flushIfFull makes room for the next segment: by growing a part's first
// one-segment buffer to the whole batch, else by writing the batch out.
func (pw *PartWriter) flushIfFull() error {
	if pw.w+pw.seg+tagSize <= len(pw.buf) {
		return nil
	}
	if len(pw.buf) < pw.batch {
		pw.grow()
		return nil
	}
	return pw.flush()
}

// grow moves what the buffer holds into a full batch buffer and returns
// the small one to its pool, wiped.
func (pw *PartWriter) grow() {
	bp := getBuf(pw.batch)
	n := copy(*bp, pw.buf[:pw.w+pw.pending])
	clear(pw.buf[:max(pw.used, n)])
	putBuf(pw.bufp)
	pw.bufp, pw.buf, pw.used = bp, *bp, 0
}

func (pw *PartWriter) flush() error {
	if pw.w == 0 {
		return nil
	}
	pw.used = max(pw.used, pw.w)
	if _, err := pw.dst.Write(pw.buf[:pw.w]); err != nil {
		pw.err = fmt.Errorf("envelope: writing part %d: %w", pw.info.Number, err)
		return pw.err
	}
	pw.w = 0
	return nil
}

// Close seals the final segment (an empty one for an empty part) and
// writes what is buffered. It does not close dst.
func (pw *PartWriter) Close() error {
	if pw.closed {
		return pw.err
	}
	pw.closed = true
	defer pw.release()
	if pw.err != nil {
		return pw.err
	}
	if err := pw.sealPending(true); err != nil {
		return err
	}
	return pw.flush()
}

func (pw *PartWriter) release() {
	if pw.ownKey != nil {
		pw.ownKey.wipe()
		pw.ownKey = nil
	}
	if pw.bufp != nil {
		// Wipe only what held data: a small part touches a few KiB of
		// the 1 MiB batch, and wiping all of it was a tenth of a small
		// PUT's CPU.
		clear(pw.buf[:max(pw.used, pw.w+pw.pending)])
		putBuf(pw.bufp)
		pw.bufp, pw.buf = nil, nil
	}
}

// Info describes the part for the table; valid after Close.
func (pw *PartWriter) Info() PartInfo { return pw.info }
