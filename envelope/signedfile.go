package envelope

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"time"
)

// Signed single files (format v2, FORMAT.md "Signed single files"): the
// version 1 file followed by a signed object record (empty bucket and
// key) and a 12-byte signature footer:
//
//	file = header || part body || table || footer || signed record || u32 len(signed record) || "EGWSIG" || 0x02 || 0x00

const (
	sigFooterMagic = "EGWSIG"
	sigFooterSize  = 12
	// maxFileRecord bounds the signed record of a single file (one part,
	// no names, no metadata): 178 bytes, a signature, room to spare.
	maxFileRecord = 8 << 10
)

// EncryptSigned is Encrypt, and Close also appends a record signed by
// signer: SHA-256 of the header, of the table and of the part body.
func EncryptSigned(dst io.Writer, recipients []Recipient, opts *Options, signer *SigningKey) (io.WriteCloser, error) {
	h, k, err := NewHeader(recipients, opts)
	if err != nil {
		return nil, err
	}
	hb, err := h.MarshalBinary()
	if err != nil {
		return nil, err
	}
	d := &hashingWriter{w: dst, h: sha256.New()}
	fw, err := k.encryptFileTo(dst, d, hb, nil)
	if err != nil {
		return nil, err
	}
	fw.sign = func(table []byte) error {
		rec := &Record{Created: time.Now().UTC(), HeaderHash: sha256.Sum256(hb), TableHash: sha256.Sum256(table)}
		if rec.WriteID, err = NewWriteID(); err != nil {
			return err
		}
		p := RecordPart{Size: fw.pw.Info().Size}
		d.h.Sum(p.Digest[:0])
		rec.Parts, rec.Size = []RecordPart{p}, p.Size
		signed, err := rec.Sign(signer)
		if err != nil {
			return err
		}
		signed = binary.BigEndian.AppendUint32(signed, uint32(len(signed)))
		signed = append(signed, sigFooterMagic...)
		signed = append(signed, formatV2, 0)
		if _, err := dst.Write(signed); err != nil {
			return fmt.Errorf("envelope: writing the signed record: %w", err)
		}
		return nil
	}
	return fw, nil
}

type hashingWriter struct {
	w io.Writer
	h hash.Hash
}

func (d *hashingWriter) Write(p []byte) (int, error) {
	d.h.Write(p)
	return d.w.Write(p)
}

// splitSignature looks for a signature footer at the end of tail (the
// last bytes of a file). It returns the length of the signed record and
// its footer (0 for an unsigned file) and the signed record.
func splitSignature(tail []byte) (int, []byte, error) {
	if len(tail) < sigFooterSize || string(tail[len(tail)-8:len(tail)-2]) != sigFooterMagic {
		return 0, nil, nil
	}
	f := tail[len(tail)-sigFooterSize:]
	if f[10] != formatV2 || f[11] != 0 {
		return 0, nil, fmt.Errorf("%w: bad signature footer", ErrFormat)
	}
	n := int(binary.BigEndian.Uint32(f[:4]))
	if n < SignatureSize || n > maxFileRecord {
		return 0, nil, fmt.Errorf("%w: signature footer announces a %d-byte record", ErrFormat, n)
	}
	if len(tail) < sigFooterSize+n {
		return 0, nil, fmt.Errorf("%w: signed record truncated", ErrFormat)
	}
	return sigFooterSize + n, tail[len(tail)-sigFooterSize-n : len(tail)-sigFooterSize], nil
}

// readSignature reads the signature footer and signed record at the end
// of a file of size bytes, if there is one.
func readSignature(r io.ReaderAt, size int64) (int64, []byte, error) {
	if size < sigFooterSize {
		return 0, nil, nil
	}
	var f [sigFooterSize]byte
	if _, err := r.ReadAt(f[:], size-sigFooterSize); err != nil {
		return 0, nil, fmt.Errorf("envelope: reading the last bytes: %w", err)
	}
	if string(f[4:10]) != sigFooterMagic {
		return 0, nil, nil
	}
	n := int64(binary.BigEndian.Uint32(f[:4]))
	if n < SignatureSize || n > maxFileRecord || n+sigFooterSize > size {
		return 0, nil, fmt.Errorf("%w: signature footer announces a %d-byte record", ErrFormat, n)
	}
	tail := make([]byte, n+sigFooterSize)
	if _, err := r.ReadAt(tail, size-int64(len(tail))); err != nil {
		return 0, nil, fmt.Errorf("envelope: reading the signed record: %w", err)
	}
	_, rec, err := splitSignature(tail)
	return int64(len(tail)), rec, err
}

// VerifyFile checks a signed single file's record under the trusted
// signers and holds it to the file's header, table and size. It does not
// hash the part body (decryption authenticates every segment under the
// data key, which the signed header fixes); scrub-like tools may.
func VerifyFile(l *FileLayout, trusted Signers) (*Record, error) {
	if l.Signed == nil {
		return nil, fmt.Errorf("%w: the file is not signed (format v1)", ErrSignature)
	}
	rec, err := OpenSignedRecord(l.Signed, trusted)
	if err != nil {
		return nil, err
	}
	hb, err := l.Header.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if err := rec.Check("", "", hb, l.Table); err != nil {
		return nil, err
	}
	if want := rec.StoredSize(l.Header.SegmentSize()); want != l.BodySize {
		return nil, fmt.Errorf("%w: part bodies are %d bytes, the signed record says %d", ErrAuth, l.BodySize, want)
	}
	return rec, nil
}
