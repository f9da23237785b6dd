package gateway

import (
	"cmp"
	"context"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// CopyObject copies the source's ciphertext as it is: same header, same
// data key, same part table. No key is needed, so copies work in
// ingest-only mode, and nothing is decrypted or re-hashed; the ETag and
// checksums carry over. With ReplaceMeta the client's attributes replace
// the source's. A format v2 copy gets a new record signed for the new
// name (resign): same header, table, part digests and data-key wrapping,
// the attributes sealed anew under the source's metadata key, which this
// gateway opens with its metadata key, so no private key is needed.
// Copying an object onto itself rewrites its record only.
// x-amz-checksum-algorithm and a source without a checksum are the
// exceptions that read the plaintext (copy_checksum.go); If-None-Match /
// If-Match on the destination hold as for PutObject.
func (s *Service) CopyObject(ctx context.Context, in *s3api.CopyObjectInput) (*s3api.CopyObjectOutput, error) {
	o := op{"CopyObject", in.DstBucket, in.DstKey, ctx}
	src, so, err := s.openSource(ctx, in.SrcBucket, in.SrcKey, in.SrcVersionID)
	if err != nil {
		return nil, s.fail(op{"CopyObject", in.SrcBucket, in.SrcKey, ctx}, err)
	}
	defer src.Close()
	bi := src.Info()
	if in.SourceCheck != nil {
		if err := in.SourceCheck(&so.info); err != nil {
			return nil, err
		}
	}
	meta := so.attrs.Clone()    // v1: the metadata itself
	delete(meta, mLastModified) // a copy is a new write: S3 gives it a new Last-Modified
	if in.ReplaceMeta {
		if err := putObjectMeta(meta, in.Meta); err != nil {
			return nil, s.fail(o, err)
		}
	}
	// S3 never carries a website redirect over: the copy has the one
	// given with the request, or none.
	delete(meta, mWebsiteRedirect)
	if in.Redirect != "" {
		meta[mWebsiteRedirect] = in.Redirect
	}
	if in.ReplaceTags {
		if err := putTags(meta, in.Tags); err != nil {
			return nil, s.fail(o, err)
		}
	}
	sums, typ, err := s.copyChecksum(o, src, so, meta, in.Checksum)
	if err != nil {
		return nil, err
	}

	self := in.SrcBucket == in.DstBucket && in.SrcKey == in.DstKey && in.SrcVersionID == ""
	if self && !in.ReplaceMeta && in.Redirect == "" {
		return nil, s3api.ErrInvalidRequest.WithMessage("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata.")
	}
	if !self {
		delete(meta, mUploadID) // the copy was not made by that upload
	}
	vw, err := s.prepareCopy(ctx, in, self)
	if err != nil {
		return nil, s.fail(o, err)
	}
	if vw.status != "" {
		self = false // S3 makes a copy onto itself a new version
	}
	vw.stamp(meta)
	if !self { // a new version: the source's lock is not copied
		setRetention(meta, nil)
		setLegalHold(meta, "")
	}
	if err := s.applyLock(meta, &vw, in.Lock); err != nil {
		return nil, err
	}
	if so.rec != nil {
		if meta, err = s.resign(in.DstBucket, in.DstKey, so, meta); err != nil {
			return nil, s.fail(o, err)
		}
	}

	if self {
		// The destination is the open source: its conditions are
		// evaluated on it, and SetMeta's ifModTime holds them.
		if err := in.Cond.Check(true, so.info.ETag); err != nil {
			return nil, err
		}
		info, err := s.be.SetMeta(ctx, in.DstBucket, in.DstKey, meta, bi.ModTime)
		if err != nil {
			if in.Cond.Set() && isCondFailure(err) {
				return nil, s.condFailed(ctx, o, in.Cond)
			}
			return nil, s.fail(o, err)
		}
		return &s3api.CopyObjectOutput{ETag: so.info.ETag, LastModified: info.ModTime, Checksums: sums, ChecksumType: typ}, nil
	}

	cond, err := s.writeCond(ctx, o, in.Cond)
	if err != nil {
		return nil, err
	}
	ci, err := s.commitCopyVersion(ctx, in, src, bi, meta, cond, &vw)
	if err != nil {
		if isCondFailure(err) && in.Cond.Set() {
			return nil, s.condFailed(ctx, o, in.Cond)
		}
		if vw.raced(err) {
			return nil, errWriteRace
		}
		return nil, s.fail(o, err)
	}
	s.finishWrite(ctx, in.DstBucket, in.DstKey, &vw)
	return &s3api.CopyObjectOutput{ETag: so.info.ETag, LastModified: ci.ModTime, Checksums: sums, ChecksumType: typ,
		VersionID: vw.versionID(), SrcVersionID: cmp.Or(in.SrcVersionID, so.info.VersionID)}, nil
}

// resign signs a new record for bucket/key over so's stored envelope
// (same header, table, part digests and data-key wrapping) with attrs
// sealed anew under so's metadata key. It needs no private key.
func (s *Service) resign(bucket, key string, so *storedObject, attrs backend.Meta) (backend.Meta, error) {
	return s.signObject(objectWrite{
		bucket: bucket, key: key,
		header: so.header, table: so.table,
		parts:    so.rec.Parts,
		attrs:    attrs,
		dataWrap: so.rec.DataKey,
		mk:       so.mk,
	})
}
