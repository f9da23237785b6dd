package gateway

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// CompleteMultipartUpload validates the client's part list against the
// stored part metadata, seals the part table in the client's order and has
// the backend turn the part files into the object. Part data is never read
// or rewritten.
//
// Every caller that completes an upload with the same part list gets the
// same answer, as from S3: a retry after a lost answer, and the losers of
// concurrent duplicate completes, which find the upload gone (NoSuchUpload)
// or, having listed its parts while the winner retired it, a part missing
// (InvalidPart). Both are answered from the object the winner made, when
// it names this upload and the ETag this part list implies.
func (s *Service) CompleteMultipartUpload(ctx context.Context, in *s3api.CompleteMultipartUploadInput) (*s3api.CompleteMultipartUploadOutput, error) {
	out, err := s.completeUpload(ctx, in)
	if errors.Is(err, s3api.ErrNoSuchUpload) || errors.Is(err, s3api.ErrInvalidPart) {
		if prev := s.completedBefore(ctx, in); prev != nil {
			return prev, nil
		}
	}
	return out, err
}

func (s *Service) completeUpload(ctx context.Context, in *s3api.CompleteMultipartUploadInput) (*s3api.CompleteMultipartUploadOutput, error) {
	o := op{"CompleteMultipartUpload", in.Bucket, in.Key, ctx}
	if len(in.Parts) == 0 {
		return nil, s3api.ErrMalformedXML.WithMessage("You must specify at least one part.")
	}
	if len(in.Parts) > maxParts {
		return nil, s3api.ErrMalformedXML.WithMessage("A multipart upload has at most %d parts.", maxParts)
	}
	for i, p := range in.Parts {
		if err := checkPartNumber(p.PartNumber); err != nil {
			return nil, err
		}
		if i > 0 && p.PartNumber <= in.Parts[i-1].PartNumber {
			return nil, s3api.ErrInvalidPartOrder
		}
	}
	up, err := s.be.StatUpload(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, s.fail(o, err)
	}
	cond, err := s.writeCond(ctx, o, in.Cond)
	if err != nil {
		return nil, err
	}
	uattrs, err := s.uploadAttrs(o, up)
	if err != nil {
		return nil, err
	}
	stored, err := s.be.ListParts(ctx, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, s.fail(o, err)
	}
	byNumber := make(map[int]backend.PartInfo, len(stored))
	for _, p := range stored {
		byNumber[p.Number] = p
	}

	alg, typ := uattrs[mChecksumAlg], uattrs[mChecksumType]
	var (
		refs    = make([]backend.PartRef, len(in.Parts))
		table   = make([]envelope.PartInfo, len(in.Parts))
		rparts  = make([]envelope.RecordPart, len(in.Parts))
		sizes   = make([]int64, len(in.Parts))
		md5s    = make([]byte, 0, 16*len(in.Parts))
		digests = make([][]byte, 0, len(in.Parts))
		dflts   []s3api.Checksums // stored part checksums, for the default checksum
		total   int64
		segSize int
	)
	for i, cp := range in.Parts {
		bp, ok := byNumber[cp.PartNumber]
		if !ok {
			return nil, s3api.ErrInvalidPart.WithMessage("Part %d has not been uploaded.", cp.PartNumber)
		}
		pm, err := s.decodePart(in.UploadID, bp)
		if err != nil {
			return nil, s.fail(o, err)
		}
		if !strings.EqualFold(strings.Trim(cp.ETag, `"`), hex.EncodeToString(pm.md5)) {
			return nil, s3api.ErrInvalidPart.WithMessage("The ETag given for part %d does not match the uploaded part.", cp.PartNumber)
		}
		if want := pm.info.StoredSize(pm.segSize); bp.Size != want {
			return nil, s.fail(o, fmt.Errorf("%w: part %d is %d bytes on the volume, want %d", envelope.ErrFormat, cp.PartNumber, bp.Size, want))
		}
		if i > 0 && pm.segSize != segSize {
			return nil, s.fail(o, fmt.Errorf("%w: part %d has segment size %d, part %d %d", envelope.ErrFormat, cp.PartNumber, pm.segSize, in.Parts[0].PartNumber, segSize))
		}
		segSize = pm.segSize
		if i < len(in.Parts)-1 && pm.info.Size < s.minPartSize {
			return nil, s3api.ErrEntityTooSmall.WithMessage("Part %d is %d bytes; every part but the last must be at least 5 MiB.", cp.PartNumber, pm.info.Size)
		}
		if err := checkPartChecksums(cp, pm.checksums, alg, typ); err != nil {
			return nil, err
		}
		if alg == "" {
			dflts = append(dflts, pm.checksums)
		}
		if alg != "" {
			d, err := checksum.Decode(alg, pm.checksums[alg])
			if err != nil {
				return nil, s3api.ErrInvalidPart.WithMessage("Part %d has no valid %s checksum, which this upload requires.", cp.PartNumber, alg)
			}
			digests = append(digests, d)
		}
		refs[i] = backend.PartRef{Number: cp.PartNumber, ID: bp.ID}
		table[i] = pm.info
		rparts[i] = envelope.RecordPart{Size: pm.info.Size, Digest: pm.digest}
		sizes[i] = pm.info.Size
		md5s = append(md5s, pm.md5...)
		total += pm.info.Size
	}

	// The object's own header: its data key MACs the table and wraps the
	// restore copy of the metadata key, and is forgotten after signing.
	hb, key, err := s.newObjectHeader(in.Bucket, segSize)
	if err != nil {
		return nil, s.fail(o, err)
	}
	sealed, err := key.SealTable(table)
	if err != nil {
		return nil, s.fail(o, err)
	}
	sum := md5.Sum(md5s)
	etag := hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(in.Parts))
	out := &s3api.CompleteMultipartUploadOutput{ETag: etag}
	if alg != "" {
		var v string
		if typ == s3api.ChecksumTypeFullObject {
			parts := make([]checksum.Part, len(digests))
			for i, d := range digests {
				parts[i] = checksum.Part{Digest: d, Size: sizes[i]}
			}
			if v, err = checksum.FullObject(alg, parts); err != nil {
				return nil, s.fail(o, err)
			}
		} else {
			v = checksum.Composite(alg, digests)
		}
		out.Checksums = s3api.Checksums{alg: v}
		out.ChecksumType = typ
	} else if v := defaultObjectChecksum(dflts, sizes); v != "" {
		out.Checksums = s3api.Checksums{defaultChecksum: v}
		out.ChecksumType = s3api.ChecksumTypeFullObject
	}
	if err := checkExpected(in.ExpectedChecksums, out.Checksums); err != nil {
		return nil, err
	}
	if in.ObjectSize != nil && *in.ObjectSize != total {
		return nil, s3api.ErrInvalidRequest.WithMessage("The provided 'x-amz-mp-object-size' header value %d does not match what was computed: %d", *in.ObjectSize, total)
	}
	if in.ChecksumType != "" && in.ChecksumType != out.ChecksumType {
		return nil, s3api.ErrInvalidRequest.WithMessage("The upload was created using the %s checksum mode. The complete request must use the same checksum mode.", out.ChecksumType).WithDetail("The request asks for %s.", in.ChecksumType)
	}

	attrs := backend.Meta{
		mETag:       etag,
		mPartsCount: strconv.Itoa(len(in.Parts)),
		mUploadID:   in.UploadID,
	}
	for _, k := range uploadObjectKeys {
		if v, ok := uattrs[k]; ok {
			attrs[k] = v
		}
	}
	putChecksums(attrs, out.Checksums)
	if out.ChecksumType != "" {
		attrs[mChecksumType] = out.ChecksumType
	}
	// The record (header, table, 40 bytes a part, signature) is stored
	// base64-encoded beside the attributes.
	fixed := (len(hb) + len(sealed) + 40*len(rparts) + envelope.SignatureSize + 1024) * 4 / 3
	addOptionalPartLists(attrs, fixed, md5s, alg, digests)
	vw, err := s.prepareWrite(ctx, in.Bucket, in.Key)
	if err != nil {
		return nil, s.fail(o, err)
	}
	vw.stamp(attrs)
	if err := s.applyLock(attrs, &vw, nil); err != nil {
		return nil, err
	}
	meta, err := s.signObject(objectWrite{
		bucket: in.Bucket, key: in.Key, header: hb, table: sealed,
		parts: rparts, attrs: attrs, dataKey: key,
	})
	if err != nil {
		return nil, s.fail(o, err)
	}
	if err := s.commitUpload(ctx, o, in, refs, meta, cond, &vw); err != nil {
		return nil, err
	}
	out.VersionID = vw.versionID()
	return out, nil
}

// newObjectHeader draws the data key of a completed multipart object and
// seals it for bucket's recipients.
func (s *Service) newObjectHeader(bucket string, segSize int) ([]byte, *envelope.Key, error) {
	recipients := s.recipientsFor(bucket)
	if len(recipients) == 0 {
		return nil, nil, errNoRecipient
	}
	h, key, err := envelope.NewHeader(recipients, &envelope.Options{SegmentSize: segSize})
	if err != nil {
		return nil, nil, err
	}
	hb, err := h.MarshalBinary()
	return hb, key, err
}

// commitUpload has the backend make the upload the object. In a versioned
// bucket, a commit that lost a race with another writer of the key keeps
// the new current version and tries again: nothing was streamed, so no
// client retry is needed.
func (s *Service) commitUpload(ctx context.Context, o op, in *s3api.CompleteMultipartUploadInput, refs []backend.PartRef, meta backend.Meta, cond backend.Cond, vw *versionedWrite) error {
	for attempt := 0; ; attempt++ {
		_, err := s.be.CompleteUpload(ctx, in.Bucket, in.Key, in.UploadID, refs, meta, vw.conds(cond)...)
		switch {
		case err == nil:
			s.finishWrite(ctx, in.Bucket, in.Key, vw)
			return nil
		case isCondFailure(err) && in.Cond.Set():
			return s.condFailed(ctx, o, in.Cond)
		case vw.raced(err) && attempt < maxVersionRetries:
			// Kept as this write (its version ID, or none) needs:
			// a versioned write keeps even a null current version.
			if err := s.keepCurrentRetry(ctx, in.Bucket, in.Key, vw); err != nil {
				return s.fail(o, err)
			}
		case vw.raced(err):
			return errWriteRace
		default:
			return s.fail(o, err)
		}
	}
}

// completedBefore answers a CompleteMultipartUpload retried after it
// succeeded (the client lost the first answer): the upload is gone, but
// the object it made is there, names the upload, and has the ETag the
// client's part list implies. Otherwise it returns nil.
func (s *Service) completedBefore(ctx context.Context, in *s3api.CompleteMultipartUploadInput) *s3api.CompleteMultipartUploadOutput {
	st, err := s.be.Stat(ctx, in.Bucket, in.Key)
	if err != nil {
		return nil
	}
	so, err := s.decodeObject(in.Bucket, in.Key, st)
	if err != nil || so.attrs[mUploadID] != in.UploadID {
		return nil
	}
	md5s := make([]byte, 0, 16*len(in.Parts))
	for _, p := range in.Parts {
		d, err := hex.DecodeString(strings.Trim(p.ETag, `"`))
		if err != nil || len(d) != 16 {
			return nil
		}
		md5s = append(md5s, d...)
	}
	sum := md5.Sum(md5s)
	etag := hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(in.Parts))
	if so.info.ETag != etag {
		return nil
	}
	return &s3api.CompleteMultipartUploadOutput{ETag: etag, Checksums: so.info.Checksums, ChecksumType: so.info.ChecksumType, VersionID: so.info.VersionID}
}

// checkPartChecksums holds a part's checksums in the Complete body to the
// ones stored with the part: a mismatch is InvalidPart, as on S3, and so
// is a checksum the part was uploaded without, which nothing could verify.
func checkPartChecksums(cp s3api.CompletedPart, stored s3api.Checksums, alg, typ string) error {
	for a, v := range cp.Checksums {
		got, ok := stored[a]
		if !ok {
			return s3api.ErrBadDigest.WithMessage("The %s you specified for part %d did not match what we received.", strings.ToLower(a), cp.PartNumber).WithDetail("Part %d was uploaded without a %s checksum.", cp.PartNumber, a)
		}
		if got != v {
			return s3api.ErrInvalidPart.WithMessage("The %s checksum given for part %d does not match the uploaded part.", a, cp.PartNumber)
		}
	}
	if alg != "" && typ == s3api.ChecksumTypeComposite && cp.Checksums[alg] == "" {
		// The object's composite checksum is made of the parts' own,
		// which S3 wants stated.
		return s3api.ErrInvalidRequest.WithMessage("The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.", strings.ToLower(alg), cp.PartNumber)
	}
	return nil
}

// addOptionalPartLists stores the per-part MD5s and checksums when they fit
// the metadata budget (a 10,000-part object with SHA-256 part checksums
// would not), checksums first since GET ?partNumber= can report them.
func addOptionalPartLists(meta backend.Meta, fixed int, md5s []byte, alg string, digests [][]byte) {
	size := fixed
	for k, v := range meta {
		size += len(k) + len(v)
	}
	if alg != "" {
		var all []byte
		for _, d := range digests {
			all = append(all, d...)
		}
		v := b64.EncodeToString(all)
		if size+len(v) <= optionalMetaBudget {
			meta[mPartCkPrefix+alg] = v
			size += len(v)
		}
	}
	if v := b64.EncodeToString(md5s); size+len(v) <= optionalMetaBudget {
		meta[mPartMD5s] = v
	}
}

// checkExpected compares the whole-object checksum a client sent with
// CompleteMultipartUpload (x-amz-checksum-<alg>) with the one computed from
// the stored parts, before anything is committed. A composite value may
// come with or without its "-N" suffix. An algorithm the upload was not
// created with cannot be computed without reading the parts, so it is
// refused rather than ignored.
func checkExpected(expected, computed s3api.Checksums) error {
	for alg, want := range expected {
		got, ok := computed[alg]
		if !ok {
			return s3api.ErrInvalidRequest.WithMessage("The upload was not created with the %s checksum algorithm, so the object's %s cannot be verified.", alg, alg)
		}
		if trimPartCount(got) != trimPartCount(want) {
			return s3api.ErrBadDigest.WithMessage("The %s you specified did not match the calculated checksum.", alg)
		}
	}
	return nil
}

// trimPartCount removes a composite checksum's "-N" suffix.
func trimPartCount(v string) string {
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		if _, err := strconv.Atoi(v[i+1:]); err == nil {
			return v[:i]
		}
	}
	return v
}
