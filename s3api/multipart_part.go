package s3api

import (
	"net/http"
)

// partTarget reads the uploadId and partNumber of UploadPart(Copy).
func (rq *request) partTarget() (string, int, error) {
	id := rq.q.Get("uploadId")
	if id == "" {
		return "", 0, ErrInvalidArgument.WithMessage("UploadPart needs both uploadId and partNumber.")
	}
	if !rq.q.Has("partNumber") {
		return "", 0, ErrInvalidArgument.WithMessage("UploadPart needs both uploadId and partNumber.")
	}
	n, err := parsePartNumber(rq.q.Get("partNumber"))
	return id, n, err
}

// uploadPart answers PUT /bucket/key?partNumber=N&uploadId=ID.
func (rq *request) uploadPart() error {
	// S3 has no conditions on parts (they go on the complete).
	if err := rejectConditionalWrite(rq.r.Header); err != nil {
		return err
	}
	id, pn, err := rq.partTarget()
	if err != nil {
		return err
	}
	b, err := rq.openBody(bodyOptions{
		requireLength: true,
		deferEmpty:    true, // the upload's checksum algorithm is checked first
		maxSize:       rq.h.maxPart,
		tooLarge:      ErrEntityTooLarge.WithMessage("Your proposed part exceeds the maximum allowed part size of %d bytes.", rq.h.maxPart),
	})
	if err != nil {
		return err
	}
	defer b.close()
	out, err := rq.h.svc.UploadPart(rq.r.Context(), &UploadPartInput{
		Bucket:     rq.bucket,
		Key:        rq.key,
		UploadID:   id,
		PartNumber: pn,
		Body:       b,
		Size:       b.size,
	})
	if err != nil {
		return err
	}
	if err := b.consumed(); err != nil {
		return err
	}
	h := rq.w.Header()
	h.Set("ETag", quoteETag(out.ETag))
	setChecksumHeaders(h, out.Checksums)
	rq.noContent(http.StatusOK)
	return nil
}

// uploadPartCopy answers PUT ?partNumber&uploadId with x-amz-copy-source
// and an optional x-amz-copy-source-range.
func (rq *request) uploadPartCopy() error {
	id, pn, err := rq.partTarget()
	if err != nil {
		return err
	}
	src, err := rq.copySource()
	if err != nil {
		return err
	}
	var rng *ByteRange
	if v := rq.r.Header.Get("x-amz-copy-source-range"); v != "" {
		if rng, err = parseCopySourceRange(v); err != nil {
			return err
		}
		if rng.Last-rng.First+1 > rq.h.maxPart {
			return ErrEntityTooLarge.WithMessage("The copy range exceeds the maximum allowed part size of %d bytes.", rq.h.maxPart)
		}
	}
	maxPart := rq.h.maxPart
	check := func(info *ObjectInfo) error {
		if err := copyConditions(rq.r.Header, info); err != nil {
			return err
		}
		switch {
		case rng != nil && rng.Last >= info.Size:
			return ErrInvalidArgument.WithMessage("Range specified is not valid for source object of size: %d", info.Size).
				WithDetail("x-amz-copy-source-range asks for bytes %d-%d.", rng.First, rng.Last)
		case rng == nil && info.Size > maxPart:
			return ErrInvalidRequest.WithMessage("The specified copy source is larger than the maximum allowable size for a part: %d; use x-amz-copy-source-range.", maxPart)
		}
		return nil
	}
	out, err := rq.h.svc.UploadPartCopy(rq.r.Context(), &UploadPartCopyInput{
		Bucket:       rq.bucket,
		Key:          rq.key,
		UploadID:     id,
		PartNumber:   pn,
		SrcBucket:    src.bucket,
		SrcKey:       src.key,
		SrcVersionID: src.versionID,
		Range:        rng,
		SourceCheck:  check,
	})
	if err != nil {
		return err
	}
	if out.SrcVersionID != "" {
		rq.w.Header().Set("x-amz-copy-source-version-id", out.SrcVersionID)
	}
	rq.writeXML(http.StatusOK, &copyPartResult{
		Xmlns:          s3Namespace,
		LastModified:   timeISO(out.LastModified),
		ETag:           quoteETag(out.ETag),
		checksumFields: toChecksumFields(out.Checksums),
	})
	return nil
}
