package s3api

import (
	"net/http"
	"strconv"
	"strings"

	"envelopegw/s3api/checksum"
)

// completeMultipartUpload answers POST /bucket/key?uploadId=ID. The part
// list is checked here (well-formed, ascending, numbers in range); whether
// the parts exist and match is the Service's job.
//
// S3 may answer a slow complete with 200 and put an error in the body; this
// handler answers an error with its own status, which every client handles.
func (rq *request) completeMultipartUpload() error {
	cond, err := parseWriteConditions(rq.r.Header)
	if err != nil {
		return err
	}
	cond = rq.createOnlyConds(cond)
	id := rq.q.Get("uploadId")
	if id == "" {
		return ErrNoSuchUpload
	}
	expected, err := expectedObjectChecksums(rq.r.Header)
	if err != nil {
		return err
	}
	objectSize, err := mpObjectSize(rq.r.Header)
	if err != nil {
		return err
	}
	b, err := rq.openBody(bodyOptions{
		maxSize:         maxCompleteBody,
		tooLarge:        ErrMalformedXML.WithMessage("The CompleteMultipartUpload body is larger than %d bytes.", maxCompleteBody),
		objectChecksums: true,
	})
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
	if err := checkCompositeChecksum(rq.r.Header, expected, parts); err != nil {
		return err
	}
	out, err := rq.h.svc.CompleteMultipartUpload(rq.r.Context(), &CompleteMultipartUploadInput{
		Bucket:            rq.bucket,
		Key:               rq.key,
		UploadID:          id,
		Parts:             parts,
		ExpectedChecksums: expected,
		ChecksumType:      strings.ToUpper(rq.r.Header.Get("x-amz-checksum-type")),
		Cond:              cond,
		ObjectSize:        objectSize,
	})
	if err != nil && rq.createOnly && refusedCondition(err) {
		out, err = rq.completeIdentical(id, parts, err)
	}
	if err != nil {
		return err
	}
	rq.setVersionHeader(out.VersionID)
	setChecksumHeaders(rq.w.Header(), out.Checksums)
	if out.ChecksumType != "" {
		rq.w.Header().Set("x-amz-checksum-type", out.ChecksumType)
	}
	rq.writeXML(http.StatusOK, &completeMultipartUploadResult{
		Xmlns:          s3Namespace,
		Location:       rq.objectURL(),
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
		if n < 1 {
			return nil, ErrInvalidArgument.WithMessage("PartNumber must be >= 1").WithDetail("Part %d of the body has PartNumber %d.", i+1, n)
		}
		if n > MaxPartNumber {
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
		cp := CompletedPart{PartNumber: n, ETag: etag, Checksums: p.checksumFields.checksums()}
		if err := checkPartChecksumSyntax(cp); err != nil {
			return nil, err
		}
		parts = append(parts, cp)
	}
	return parts, nil
}

// expectedObjectChecksums reads the x-amz-checksum-<alg> headers of a
// CompleteMultipartUpload: the checksum the client expects for the whole
// object, base64 of a digest, optionally with a "-N" part-count suffix.
func expectedObjectChecksums(h http.Header) (Checksums, error) {
	var cs Checksums
	for name, vs := range h {
		alg := checksum.FromHeaderName(name)
		if alg == "" {
			continue
		}
		v := vs[0]
		if _, err := checksum.Decode(alg, trimPartCount(v)); err != nil {
			return nil, ErrInvalidRequest.WithMessage("Value for %s header is invalid.", strings.ToLower(name))
		}
		if cs == nil {
			cs = Checksums{}
		}
		cs[alg] = v
	}
	if len(cs) > 1 {
		return nil, ErrInvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	switch t := h.Get("x-amz-checksum-type"); strings.ToUpper(t) {
	case "", ChecksumTypeComposite, ChecksumTypeFullObject:
	default:
		return nil, ErrInvalidRequest.WithMessage("Value for x-amz-checksum-type header is invalid.").WithDetail("%q is neither COMPOSITE nor FULL_OBJECT.", truncate(t, 50))
	}
	return cs, nil
}

// checkCompositeChecksum verifies an expected COMPOSITE object checksum
// against the part checksums of the request, before anything is
// committed. (The Service checks those part checksums against the stored
// parts, so this is the real object checksum. A FULL_OBJECT value needs
// the part sizes and is left to the Service through ExpectedChecksums.)
func checkCompositeChecksum(h http.Header, expected Checksums, parts []CompletedPart) error {
	for alg, want := range expected {
		base := trimPartCount(want)
		if !strings.EqualFold(h.Get("x-amz-checksum-type"), ChecksumTypeComposite) && base == want {
			continue // not known to be composite
		}
		digests := make([][]byte, 0, len(parts))
		for _, p := range parts {
			d, err := checksum.Decode(alg, p.Checksums[alg])
			if err != nil {
				return nil // a part without this checksum: the Service decides
			}
			digests = append(digests, d)
		}
		if got := checksum.Composite(alg, digests); trimPartCount(got) != base {
			return ErrBadDigest.WithMessage("The %s you specified did not match the calculated checksum.", alg)
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
