package s3api

import (
	"net/http"
	"strconv"
)

// listParts answers GET /bucket/key?uploadId=ID.
func (rq *request) listParts() error {
	id := rq.q.Get("uploadId")
	if id == "" {
		return ErrNoSuchUpload
	}
	maxParts, err := parseMax(rq.q, "max-parts", MaxListKeys)
	if err != nil {
		return err
	}
	marker, err := parsePartNumberMarker(rq.q.Get("part-number-marker"))
	if err != nil {
		return err
	}
	out := &ListPartsOutput{}
	if maxParts > 0 {
		out, err = rq.h.svc.ListParts(rq.r.Context(), &ListPartsInput{
			Bucket:           rq.bucket,
			Key:              rq.key,
			UploadID:         id,
			PartNumberMarker: marker,
			MaxParts:         maxParts,
		})
		if err != nil {
			return err
		}
		out.ChecksumAlgorithm, out.ChecksumType = orNull(out.ChecksumAlgorithm), orNull(out.ChecksumType)
	}
	o := rq.owner()
	res := listPartsResult{
		Xmlns:                s3Namespace,
		Bucket:               rq.bucket,
		Key:                  rq.key,
		UploadID:             id,
		Initiator:            o,
		Owner:                o,
		StorageClass:         "STANDARD",
		PartNumberMarker:     marker,
		NextPartNumberMarker: out.NextPartNumberMarker,
		MaxParts:             maxParts,
		IsTruncated:          out.IsTruncated,
		Parts:                make([]partXML, 0, len(out.Parts)),
		ChecksumAlgorithm:    out.ChecksumAlgorithm,
		ChecksumType:         out.ChecksumType,
	}
	for _, p := range out.Parts {
		res.Parts = append(res.Parts, partXML{
			PartNumber:     p.PartNumber,
			LastModified:   timeISO(p.LastModified),
			ETag:           quoteETag(p.ETag),
			Size:           p.Size,
			checksumFields: toChecksumFields(p.Checksums),
		})
	}
	if res.NextPartNumberMarker == 0 && len(out.Parts) > 0 {
		res.NextPartNumberMarker = out.Parts[len(out.Parts)-1].PartNumber
	}
	rq.writeXML(http.StatusOK, &res)
	return nil
}

// orNull is how S3's ListParts spells the checksum algorithm and type of
// an upload created without one: the word null, not an absent element.
func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// listMultipartUploads answers GET /bucket?uploads.
func (rq *request) listMultipartUploads() error {
	p, err := parseListParams(rq.q, "max-uploads")
	if err != nil {
		return err
	}
	keyMarker := rq.q.Get("key-marker")
	idMarker := rq.q.Get("upload-id-marker")
	out := &ListUploadsOutput{}
	if p.maxKeys > 0 {
		out, err = rq.h.svc.ListMultipartUploads(rq.r.Context(), &ListUploadsInput{
			Bucket:         rq.bucket,
			Prefix:         p.prefix,
			Delimiter:      p.delimiter,
			KeyMarker:      keyMarker,
			UploadIDMarker: idMarker,
			MaxUploads:     p.maxKeys,
		})
	} else {
		err = rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket)
	}
	if err != nil {
		return err
	}
	o := rq.owner()
	res := listMultipartUploadsResult{
		Xmlns:              s3Namespace,
		Bucket:             rq.bucket,
		KeyMarker:          p.encode(keyMarker),
		UploadIDMarker:     idMarker,
		NextKeyMarker:      p.encode(out.NextKeyMarker),
		NextUploadIDMarker: out.NextUploadIDMarker,
		Prefix:             p.encode(p.prefix),
		Delimiter:          p.encode(p.delimiter),
		MaxUploads:         p.maxKeys,
		IsTruncated:        out.IsTruncated,
		EncodingType:       p.encodingType,
		Uploads:            make([]uploadXML, 0, len(out.Uploads)),
		Prefixes:           prefixEntries(out.CommonPrefixes, p.encode),
	}
	for _, u := range out.Uploads {
		res.Uploads = append(res.Uploads, uploadXML{
			Key:          p.encode(u.Key),
			UploadID:     u.UploadID,
			Initiator:    o,
			Owner:        o,
			StorageClass: "STANDARD",
			Initiated:    timeISO(u.Initiated),

			ChecksumAlgorithm: u.ChecksumAlgorithm,
			ChecksumType:      u.ChecksumType,
		})
	}
	rq.writeXML(http.StatusOK, &res)
	return nil
}

// parsePartNumberMarker parses ListParts' part-number-marker ("" is 0) and
// refuses a bad one with S3's sentences: one for what is no 32-bit integer,
// one for a negative number; the value goes to Detail, not the message.
func parsePartNumberMarker(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, ErrInvalidArgument.WithMessage("Provided part-number-marker not an integer or within integer range").WithDetail("part-number-marker %q.", truncate(v, 50))
	}
	if n < 0 {
		return 0, ErrInvalidArgument.WithMessage("Argument part-number-marker must be an integer between 0 and 2147483647").WithDetail("part-number-marker %q.", truncate(v, 50))
	}
	return int(n), nil
}
