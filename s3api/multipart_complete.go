package s3api

import (
	"net/http"
)

// completeMultipartUpload answers POST /bucket/key?uploadId=ID. The part
// list is checked here (well-formed, ascending, numbers in range); whether
// the parts exist and match is the Service's job.
//
// S3 may answer a slow complete with 200 and put an error in the body; this
// handler answers an error with its own status, which every client handles.
func (rq *request) completeMultipartUpload() error {
	if err := rejectConditionalWrite(rq.r.Header); err != nil {
		return err
	}
	id := rq.q.Get("uploadId")
	if id == "" {
		return ErrNoSuchUpload
	}
	b, err := rq.openBody(bodyOptions{maxSize: maxCompleteBody, tooLarge: ErrMalformedXML.WithMessage("The CompleteMultipartUpload body is larger than %d bytes.", maxCompleteBody)})
	if err != nil {
		return err
	}
	defer b.close()
	data, err := b.readAll(maxCompleteBody, "CompleteMultipartUpload")
	if err != nil {
		return err
	}
	parts, err := parseCompleteMultipartUpload(data)
	if err != nil {
		return err
	}
	out, err := rq.h.svc.CompleteMultipartUpload(rq.r.Context(), &CompleteMultipartUploadInput{
		Bucket:   rq.bucket,
		Key:      rq.key,
		UploadID: id,
		Parts:    parts,
	})
	if err != nil {
		return err
	}
	setChecksumHeaders(rq.w.Header(), out.Checksums)
	if out.ChecksumType != "" {
		rq.w.Header().Set("x-amz-checksum-type", out.ChecksumType)
	}
	rq.writeXML(http.StatusOK, &completeMultipartUploadResult{
		Xmlns:          s3Namespace,
		Location:       "/" + rq.bucket + "/" + rq.key,
		Bucket:         rq.bucket,
		Key:            rq.key,
		ETag:           quoteETag(out.ETag),
		checksumFields: toChecksumFields(out.Checksums),
		ChecksumType:   out.ChecksumType,
	})
	return nil
}

// parseCompleteMultipartUpload parses the part list strictly: one
// CompleteMultipartUpload element with 1 to 10,000 parts, each with a
// PartNumber in 1..10000 and an ETag, in strictly ascending order.
func parseCompleteMultipartUpload(data []byte) ([]CompletedPart, error) {
	var doc completeMultipartUpload
	if err := decodeStrict(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Parts) == 0 {
		return nil, ErrMalformedXML.WithMessage("The CompleteMultipartUpload body lists no part.")
	}
	if len(doc.Parts) > MaxPartNumber {
		return nil, ErrMalformedXML.WithMessage("The CompleteMultipartUpload body lists %d parts, the maximum is %d.", len(doc.Parts), MaxPartNumber)
	}
	parts := make([]CompletedPart, 0, len(doc.Parts))
	prev := 0
	for i, p := range doc.Parts {
		if p.PartNumber == nil || p.ETag == nil {
			return nil, ErrMalformedXML.WithMessage("Part %d of the CompleteMultipartUpload body lacks a PartNumber or an ETag.", i+1)
		}
		n := *p.PartNumber
		if n < 1 || n > MaxPartNumber {
			return nil, ErrInvalidArgument.WithMessage("Part number must be an integer between 1 and %d, inclusive (got %d).", MaxPartNumber, n)
		}
		if n <= prev {
			return nil, ErrInvalidPartOrder
		}
		prev = n
		etag := unquoteETag(*p.ETag)
		if etag == "" {
			return nil, ErrInvalidPart.WithMessage("Part %d has an empty ETag.", n)
		}
		parts = append(parts, CompletedPart{PartNumber: n, ETag: etag, Checksums: p.checksumFields.checksums()})
	}
	return parts, nil
}
