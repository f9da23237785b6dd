package gateway

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// CreateMultipartUpload stores the upload's attributes, sealed under the
// gateway metadata key, in the backend's upload metadata. An upload has no
// data key: every part gets its own when it is written (UploadPart), so
// nothing an ingest host holds decrypts a part in progress.
func (s *Service) CreateMultipartUpload(ctx context.Context, in *s3api.CreateMultipartUploadInput) (string, error) {
	o := op{"CreateMultipartUpload", in.Bucket, in.Key, ctx}
	if len(s.recipientsFor(in.Bucket)) == 0 {
		return "", errNoRecipient
	}
	if s.attrSealer == nil {
		return "", errNoStateKey
	}
	if s.signer == nil {
		return "", errNoSigner
	}
	alg, typ, err := uploadChecksum(in.ChecksumAlgorithm, in.ChecksumType)
	if err != nil {
		return "", err
	}
	attrs := backend.Meta{}
	if alg != "" {
		attrs[mChecksumAlg] = alg
		attrs[mChecksumType] = typ
	}
	if err := putObjectMeta(attrs, in.Meta); err != nil {
		return "", s.fail(o, err)
	}
	if err := s.lockForUpload(ctx, in.Bucket, attrs, in.Lock); err != nil {
		return "", err
	}
	if err := putTags(attrs, in.Tags); err != nil {
		return "", s.fail(o, err)
	}
	nonce, err := envelope.NewWriteID()
	if err != nil {
		return "", s.fail(o, err)
	}
	sealed, err := s.sealAttrs(attrs, uploadAttrAD(in.Bucket, in.Key, nonce[:]))
	if err != nil {
		return "", s.fail(o, err)
	}
	meta := backend.Meta{
		mVersion:     metaV2,
		mPartKeys:    partKeysV1,
		mUploadNonce: b64.EncodeToString(nonce[:]),
		mSealed:      sealed,
	}
	id, err := s.be.CreateUpload(ctx, in.Bucket, in.Key, meta)
	if err != nil {
		return "", s.fail(o, err)
	}
	return id, nil
}

// uploadChecksum validates a requested multipart checksum and fills in the
// default type: FULL_OBJECT for CRC64NVME (the only type it supports),
// COMPOSITE for the others.
func uploadChecksum(alg, typ string) (string, string, error) {
	if alg == "" {
		if typ != "" {
			return "", "", s3api.ErrInvalidRequest.WithMessage("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return "", "", nil
	}
	canon := checksum.Canonical(alg)
	if canon == "" {
		return "", "", s3api.ErrInvalidRequest.WithMessage("Checksum algorithm %q is not supported.", alg)
	}
	switch typ {
	case "":
		typ = s3api.ChecksumTypeComposite
		if canon == checksum.CRC64NVME {
			typ = s3api.ChecksumTypeFullObject
		}
	case s3api.ChecksumTypeComposite:
		if canon == checksum.CRC64NVME {
			return "", "", s3api.ErrInvalidRequest.WithMessage("The COMPOSITE checksum type cannot be used with the CRC64NVME algorithm.")
		}
	case s3api.ChecksumTypeFullObject:
		if !checksum.IsCRC(canon) {
			return "", "", s3api.ErrInvalidRequest.WithMessage("The FULL_OBJECT checksum type cannot be used with the %s algorithm.", canon)
		}
	default:
		return "", "", s3api.ErrInvalidRequest.WithMessage("Checksum type %q is not supported.", typ)
	}
	return canon, typ, nil
}

// uploadAttrs opens an upload's sealed attributes (checksum algorithm and
// type, content headers, user metadata).
func (s *Service) uploadAttrs(o op, up backend.Upload) (backend.Meta, error) {
	attrs, err := s.openUploadAttrs(up)
	if err != nil {
		return nil, s.fail(o, err)
	}
	return attrs, nil
}

// openUploadAttrs is uploadAttrs without the error mapping, for callers
// that decide themselves what an unreadable upload means.
func (s *Service) openUploadAttrs(up backend.Upload) (backend.Meta, error) {
	if s.attrSealer == nil {
		return nil, errNoStateKey
	}
	if v := up.Meta[mVersion]; v != metaV2 {
		return nil, fmt.Errorf("%w (upload version %q)", errForeignMeta, v)
	}
	if up.Meta[mPartKeys] != partKeysV1 {
		return nil, errOldUpload
	}
	nonce, err := getBytes(up.Meta, mUploadNonce)
	if err != nil {
		return nil, err
	}
	return s.openAttrsSealed(up.Meta, uploadAttrAD(up.Bucket, up.Key, nonce))
}

func checkPartNumber(n int) error {
	if n < 1 || n > maxParts {
		return s3api.ErrInvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive.")
	}
	return nil
}

// UploadPart encrypts one part as it streams into a new version of the
// part file, under a data key of its own that is wrapped to the bucket's
// recipients at the start of the part (envelope.NewSealedPart) and
// forgotten when the part is written. Any process sharing the volume and
// gateway secret can take parts of any upload. A re-sent part gets a
// fresh key and salt, and the last committed version wins.
func (s *Service) UploadPart(ctx context.Context, in *s3api.UploadPartInput) (*s3api.UploadPartOutput, error) {
	o := op{"UploadPart", in.Bucket, in.Key, ctx}
	if err := checkPartNumber(in.PartNumber); err != nil {
		return nil, err
	}
	if in.Size > maxPutSize {
		return nil, s3api.ErrEntityTooLarge
	}
	up, err := s.be.StatUpload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, s.fail(o, err)
	}
	attrs, err := s.uploadAttrs(o, up)
	if err != nil {
		return nil, err
	}
	if d, ok := in.Body.(s3api.ChecksumDeclarer); ok {
		if err := partChecksumMatches(attrs[mChecksumAlg], attrs[mChecksumType], d.DeclaredChecksum()); err != nil {
			return nil, err
		}
	}
	w, err := s.be.NewPart(ctx, in.Bucket, in.Key, in.UploadID, in.PartNumber)
	if err != nil {
		return nil, s.fail(o, err)
	}
	defer w.Abort()

	// A CRC the client did not send is computed here (cheap next to the
	// cipher) so that Complete can combine every part's digest; a missing
	// SHA digest is the client's to send.
	alg := attrs[mChecksumAlg]
	var body s3api.Body = in.Body
	var own hash.Hash
	var dflt hash.Hash // the default checksum of an upload without an algorithm
	// A CRC the part's client declared is verified by s3api and used as
	// is: computed once.
	declared := declaredChecksum(in.Body)
	switch {
	case checksum.IsCRC(alg) && declared != alg:
		own, _ = checksum.New(alg)
		body = teeBody{in.Body, io.TeeReader(in.Body, own)}
	case alg == "" && declared != defaultChecksum:
		body, dflt = withDefaultChecksum(in.Body)
	}
	dw := newDigestWriter(w)
	info, err := s.encryptSealedPart(o, dw, in.Bucket, in.PartNumber, body, in.Size)
	if err != nil {
		return nil, err
	}
	sums := in.Body.Sums()
	cs := s3api.Checksums{}
	for a, v := range sums.Checksums {
		cs[a] = v
	}
	if alg != "" && cs[alg] == "" {
		if own == nil {
			return nil, s3api.ErrInvalidRequest.WithMessage("This upload was created with the %s checksum algorithm; every part must carry x-amz-checksum-%s.", alg, strings.ToLower(alg))
		}
		cs[alg] = checksum.Encode(own.Sum(nil))
	}
	if len(sums.MD5) != 16 {
		return nil, s.fail(o, errors.New("gateway: request body has no MD5"))
	}
	pmeta, err := s.encodePart(in.UploadID, in.PartNumber, sums.MD5, info, dw.sum(), partChecksumsToStore(cs, dflt))
	if err != nil {
		return nil, s.fail(o, err)
	}
	pi, err := w.Commit(pmeta)
	if err != nil {
		return nil, s.fail(o, err)
	}
	if len(cs) == 0 {
		cs = nil
	}
	return &s3api.UploadPartOutput{ETag: hex.EncodeToString(sums.MD5), LastModified: pi.ModTime.UTC(), Checksums: cs}, nil
}

// teeBody reads through a tee but reports the original body's sums.
type teeBody struct {
	s3api.Body
	r io.Reader
}

func (t teeBody) Read(p []byte) (int, error) { return t.r.Read(p) }

// AbortMultipartUpload discards an upload and its parts. An upload's
// initiation time never changes, so its condition
// (x-amz-if-match-initiated-time) needs no atomic step.
func (s *Service) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string, cond ...s3api.AbortConditions) error {
	o := op{"AbortMultipartUpload", bucket, key, ctx}
	if slices.ContainsFunc(cond, func(c s3api.AbortConditions) bool { return !c.IfInitiated.IsZero() }) {
		up, err := s.be.StatUpload(ctx, bucket, key, uploadID)
		if err != nil {
			return s.fail(o, err)
		}
		for _, c := range cond {
			if err := c.Check(up.Initiated); err != nil {
				return err
			}
		}
	}
	return s.fail(o, s.be.AbortUpload(ctx, bucket, key, uploadID))
}

// ListParts lists the current version of each part, from part metadata.
func (s *Service) ListParts(ctx context.Context, in *s3api.ListPartsInput) (*s3api.ListPartsOutput, error) {
	o := op{"ListParts", in.Bucket, in.Key, ctx}
	up, err := s.be.StatUpload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, s.fail(o, err)
	}
	attrs, err := s.uploadAttrs(o, up)
	if err != nil {
		return nil, err
	}
	parts, err := s.be.ListParts(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, s.fail(o, err)
	}
	max := in.MaxParts
	if max <= 0 || max > 1000 {
		max = 1000
	}
	out := &s3api.ListPartsOutput{
		ChecksumAlgorithm: attrs[mChecksumAlg],
		ChecksumType:      attrs[mChecksumType],
		Initiated:         up.Initiated,
	}
	for _, p := range parts {
		if p.Number <= in.PartNumberMarker {
			continue
		}
		if len(out.Parts) == max {
			out.IsTruncated = true
			break
		}
		pm, err := s.decodePart(in.UploadID, p)
		if err != nil {
			return nil, s.fail(o, err)
		}
		out.Parts = append(out.Parts, s3api.PartInfo{
			PartNumber:   p.Number,
			ETag:         hex.EncodeToString(pm.md5),
			Size:         pm.info.Size,
			LastModified: p.ModTime,
			Checksums:    pm.checksums,
		})
		out.NextPartNumberMarker = p.Number
	}
	return out, nil
}

// ListMultipartUploads lists one page of a bucket's unfinished uploads.
func (s *Service) ListMultipartUploads(ctx context.Context, in *s3api.ListUploadsInput) (*s3api.ListUploadsOutput, error) {
	page, err := s.be.ListUploads(ctx, in.Bucket, backend.UploadListOptions{
		Prefix:         in.Prefix,
		Delimiter:      in.Delimiter,
		KeyMarker:      in.KeyMarker,
		UploadIDMarker: in.UploadIDMarker,
		MaxUploads:     in.MaxUploads,
	})
	if err != nil {
		return nil, s.fail(op{"ListMultipartUploads", in.Bucket, "", ctx}, err)
	}
	out := &s3api.ListUploadsOutput{
		Uploads:            make([]s3api.UploadInfo, len(page.Uploads)),
		CommonPrefixes:     page.CommonPrefixes,
		IsTruncated:        page.IsTruncated,
		NextKeyMarker:      page.NextKeyMarker,
		NextUploadIDMarker: page.NextUploadIDMarker,
	}
	for i, u := range page.Uploads {
		out.Uploads[i] = s.listedUpload(u)
	}
	return out, nil
}
