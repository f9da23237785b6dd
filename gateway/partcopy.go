package gateway

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"hash"
	"io"

	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// UploadPartCopy fills a part from (a range of) an existing object. Unlike
// CopyObject it must decrypt: the part is sealed under a data key of its own
// (like every part), so the gateway needs an identity for the source
// (s3api.ErrNoDecryptionKey otherwise). The plaintext is hashed here for
// the part's ETag and, when the upload asks for one, its checksum.
func (s *Service) UploadPartCopy(ctx context.Context, in *s3api.UploadPartCopyInput) (*s3api.UploadPartOutput, error) {
	o := op{"UploadPartCopy", in.Bucket, in.Key, ctx}
	if err := checkPartNumber(in.PartNumber); err != nil {
		return nil, err
	}
	up, err := s.be.StatUpload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, s.fail(o, err)
	}
	attrs, err := s.uploadAttrs(o, up)
	if err != nil {
		return nil, err
	}
	var src s3api.ObjectReader
	if in.SrcVersionID != "" {
		src, err = s.GetObjectVersion(ctx, in.SrcBucket, in.SrcKey, in.SrcVersionID)
	} else {
		src, err = s.GetObject(ctx, in.SrcBucket, in.SrcKey)
	}
	if err != nil {
		return nil, err
	}
	defer src.Close()
	info := src.Info()
	if in.SourceCheck != nil {
		if err := in.SourceCheck(info); err != nil {
			return nil, err
		}
	}
	off, n := int64(0), info.Size
	if in.Range != nil {
		if in.Range.First < 0 || in.Range.Last < in.Range.First || in.Range.Last >= info.Size {
			return nil, s3api.ErrInvalidRange.WithMessage("The x-amz-copy-source-range is not within the source object's %d bytes.", info.Size)
		}
		off, n = in.Range.First, in.Range.Last-in.Range.First+1
	}
	if n > maxPutSize {
		return nil, s3api.ErrEntityTooLarge
	}
	plain, err := src.ReadRange(off, n)
	if err != nil {
		return nil, err
	}
	defer plain.Close()

	w, err := s.be.NewPart(ctx, in.Bucket, in.Key, in.UploadID, in.PartNumber)
	if err != nil {
		return nil, s.fail(o, err)
	}
	defer w.Abort()
	body := &hashingBody{md5: md5.New()}
	hashes := []io.Writer{body.md5}
	alg := attrs[mChecksumAlg]
	if alg != "" {
		body.alg = alg
		body.ck, _ = checksum.New(alg)
		hashes = append(hashes, body.ck)
	}
	var dflt hash.Hash // the default checksum of an upload without an algorithm
	if alg == "" {
		dflt, _ = checksum.New(defaultChecksum)
		hashes = append(hashes, dflt)
	}
	body.r = io.TeeReader(plain, io.MultiWriter(hashes...))
	dw := newDigestWriter(w)
	pi, err := s.encryptSealedPart(o, dw, in.Bucket, in.PartNumber, body, n)
	if err != nil {
		// A source that fails to read (a segment did not verify) is the
		// store's fault, not the client's.
		if body.err != nil {
			return nil, s.fail(op{"UploadPartCopy", in.SrcBucket, in.SrcKey, ctx}, body.err)
		}
		return nil, err
	}
	sums := body.Sums()
	pmeta, err := s.encodePart(in.UploadID, in.PartNumber, sums.MD5, pi, dw.sum(), partChecksumsToStore(sums.Checksums, dflt))
	if err != nil {
		return nil, s.fail(o, err)
	}
	ci, err := w.Commit(pmeta)
	if err != nil {
		return nil, s.fail(o, err)
	}
	return &s3api.UploadPartOutput{ETag: hex.EncodeToString(sums.MD5), LastModified: ci.ModTime.UTC(), Checksums: sums.Checksums, SrcVersionID: info.VersionID}, nil
}

// hashingBody presents decrypted source bytes as an s3api.Body.
type hashingBody struct {
	r   io.Reader
	md5 hash.Hash
	alg string
	ck  hash.Hash
	err error // the first read error other than io.EOF
}

func (b *hashingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

func (b *hashingBody) Sums() s3api.Sums {
	s := s3api.Sums{MD5: b.md5.Sum(nil)}
	if b.ck != nil {
		s.Checksums = s3api.Checksums{b.alg: checksum.Encode(b.ck.Sum(nil))}
	}
	return s
}
