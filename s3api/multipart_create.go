package s3api

import (
	"errors"
	"net/http"
	"strings"

	"envelopegw/s3api/checksum"
)

// createMultipartUpload answers POST /bucket/key?uploads.
func (rq *request) createMultipartUpload() error {
	if err := rejectConditionalWrite(rq.r.Header); err != nil {
		return err
	}
	meta, err := parseMeta(rq.r.Header)
	if err != nil {
		return err
	}
	alg, typ, err := parseUploadChecksum(rq.r.Header)
	if err != nil {
		return err
	}
	tags, err := rq.writeTags()
	if err != nil {
		return err
	}
	lock, err := rq.lockWrite()
	if err != nil {
		return err
	}
	id, err := rq.h.svc.CreateMultipartUpload(rq.r.Context(), &CreateMultipartUploadInput{
		Bucket:            rq.bucket,
		Key:               rq.key,
		Meta:              meta,
		Tags:              tags,
		ChecksumAlgorithm: alg,
		ChecksumType:      typ,
		Lock:              lock,
	})
	if err != nil {
		return err
	}
	h := rq.w.Header()
	if alg != "" {
		h.Set("x-amz-checksum-algorithm", alg)
	}
	if typ != "" {
		h.Set("x-amz-checksum-type", typ)
	}
	rq.writeXML(http.StatusOK, &initiateMultipartUploadResult{
		Xmlns:    s3Namespace,
		Bucket:   rq.bucket,
		Key:      rq.key,
		UploadID: id,
	})
	return nil
}

// parseUploadChecksum validates x-amz-checksum-algorithm and
// x-amz-checksum-type of CreateMultipartUpload with S3's rules:
// FULL_OBJECT needs a CRC (the parts' CRCs combine), and CRC64NVME exists
// only as FULL_OBJECT.
func parseUploadChecksum(h http.Header) (alg, typ string, err error) {
	if v := h.Get("x-amz-checksum-algorithm"); v != "" {
		if alg = checksum.Canonical(v); alg == "" {
			return "", "", errUnsupportedChecksumAlgorithm(v)
		}
	}
	switch v := h.Get("x-amz-checksum-type"); strings.ToUpper(v) {
	case "":
	case ChecksumTypeComposite, ChecksumTypeFullObject:
		typ = strings.ToUpper(v) // S3 takes the value in any case
	default:
		return "", "", ErrInvalidRequest.WithMessage("Value for x-amz-checksum-type header is invalid.").WithDetail("%q is neither COMPOSITE nor FULL_OBJECT.", truncate(v, 50))
	}
	switch {
	case typ != "" && alg == "":
		return "", "", ErrInvalidRequest.WithMessage("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case typ == ChecksumTypeFullObject && !checksum.IsCRC(alg):
		return "", "", ErrInvalidRequest.WithMessage("The FULL_OBJECT checksum type cannot be used with the %s checksum algorithm.", strings.ToLower(alg))
	case typ == ChecksumTypeComposite && alg == ChecksumCRC64NVME:
		return "", "", ErrInvalidRequest.WithMessage("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
	}
	return alg, typ, nil
}

// abortMultipartUpload answers DELETE /bucket/key?uploadId=.
func (rq *request) abortMultipartUpload() error {
	id := rq.q.Get("uploadId")
	if id == "" {
		return ErrNoSuchUpload
	}
	cond, err := parseAbortConditions(rq.r.Header)
	if err != nil {
		return err
	}
	err = rq.h.svc.AbortMultipartUpload(rq.r.Context(), rq.bucket, rq.key, id, cond)
	// With a condition, S3 answers 204 for an upload that does not exist.
	if err != nil && (!errors.Is(err, ErrNoSuchUpload) || cond.IfInitiated.IsZero()) {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}
