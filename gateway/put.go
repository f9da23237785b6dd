package gateway

import (
	"context"
	"encoding/hex"
	"errors"
	"hash"
	"io"

	"envelopegw/envelope"
	"envelopegw/s3api"
)

// PutObject encrypts in.Body as it streams into a new backend object: one
// envelope part, then the header, sealed part table and S3 attributes as
// metadata in the same atomic commit. A body that fails (short, bad digest,
// client gone) leaves no object behind. in.Cond is evaluated before the
// body is read and held by the backend at the commit (see conditional.go).
func (s *Service) PutObject(ctx context.Context, in *s3api.PutObjectInput) (*s3api.PutObjectOutput, error) {
	o := op{"PutObject", in.Bucket, in.Key, ctx}
	recipients := s.recipientsFor(in.Bucket)
	if len(recipients) == 0 {
		return nil, errNoRecipient
	}
	if in.Size > maxPutSize {
		return nil, s3api.ErrEntityTooLarge
	}
	hdr, key, err := envelope.NewHeader(recipients, &envelope.Options{SegmentSize: s.segSize})
	if err != nil {
		return nil, s.fail(o, err)
	}
	hb, err := hdr.MarshalBinary()
	if err != nil {
		return nil, s.fail(o, err)
	}
	if s.signer == nil {
		return nil, errNoSigner
	}
	cond, err := s.writeCond(ctx, o, in.Cond)
	if err != nil {
		return nil, err
	}
	vw, err := s.prepareWrite(ctx, in.Bucket, in.Key)
	if err != nil {
		return nil, s.fail(o, err)
	}
	target, conds := vw.target(in.Key, cond)
	w, err := s.be.NewObject(ctx, in.Bucket, target, conds...)
	if err != nil {
		return nil, s.fail(o, err)
	}
	defer w.Abort()

	// The default checksum only when the client declared none: the
	// client's is what the object keeps.
	var body s3api.Body = in.Body
	var own hash.Hash
	if declaredChecksum(in.Body) == "" {
		body, own = withDefaultChecksum(in.Body)
	}
	dw := newDigestWriter(w)
	info, err := s.encryptPart(o, dw, key, 1, body, in.Size)
	if err != nil {
		return nil, err
	}
	table, err := key.SealTable([]envelope.PartInfo{info})
	if err != nil {
		return nil, s.fail(o, err)
	}
	sums := in.Body.Sums()
	if len(sums.MD5) != 16 {
		return nil, s.fail(o, errors.New("gateway: request body has no MD5"))
	}
	etag := hex.EncodeToString(sums.MD5)
	cs := objectChecksums(sums.Checksums, own)
	attrs, err := attrsFor(etag, cs, in.Meta)
	if err != nil {
		return nil, s.fail(o, err)
	}
	if err := putTags(attrs, in.Tags); err != nil {
		return nil, s.fail(o, err)
	}
	vw.stamp(attrs)
	if err := s.applyLock(attrs, &vw, in.Lock); err != nil {
		return nil, err
	}
	meta, err := s.signObject(objectWrite{
		bucket: in.Bucket, key: in.Key, header: hb, table: table,
		parts:   []envelope.RecordPart{{Size: info.Size, Digest: dw.sum()}},
		attrs:   attrs,
		dataKey: key,
	})
	if err != nil {
		return nil, s.fail(o, err)
	}
	committed, err := w.Commit(meta)
	if err != nil {
		if isCondFailure(err) && in.Cond.Set() {
			return nil, s.condFailed(ctx, o, in.Cond)
		}
		if vw.raced(err) {
			return nil, errWriteRace
		}
		return nil, s.fail(o, err)
	}
	if vw.staged() {
		committed.Key, committed.Meta = target, meta
		if err := s.promoteStaged(ctx, o, committed, cond, in.Cond, &vw); err != nil {
			return nil, err
		}
	}
	s.finishWrite(ctx, in.Bucket, in.Key, &vw)
	return &s3api.PutObjectOutput{ETag: etag, Checksums: cs, VersionID: vw.versionID()}, nil
}

// encryptPart streams body through an envelope part writer into w and
// returns the part's table entry. size is the declared length or -1. The
// caller commits or aborts w.
func (s *Service) encryptPart(o op, w io.Writer, key *envelope.Key, number int, body s3api.Body, size int64) (envelope.PartInfo, error) {
	pw, err := key.NewPartWriter(w, number)
	if err != nil {
		return envelope.PartInfo{}, s.fail(o, err)
	}
	return s.encryptWith(o, pw, body, size)
}

// encryptWith streams body through pw and closes it.
func (s *Service) encryptWith(o op, pw *envelope.PartWriter, body s3api.Body, size int64) (envelope.PartInfo, error) {
	n, rerr, werr := copyBody(pw, body, maxPutSize, size)
	if rerr == nil && werr == nil {
		werr = pw.Close()
	}
	s.crypto.Encrypted(n, werr)
	switch {
	case errors.Is(rerr, errTooLarge):
		return envelope.PartInfo{}, s3api.ErrEntityTooLarge
	case rerr != nil:
		return envelope.PartInfo{}, bodyError(rerr)
	case werr != nil:
		return envelope.PartInfo{}, s.fail(o, werr)
	case size >= 0 && n != size:
		return envelope.PartInfo{}, s3api.ErrIncompleteBody
	}
	return pw.Info(), nil
}
