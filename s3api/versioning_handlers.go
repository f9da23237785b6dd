package s3api

import (
	"net/http"
)

// listVersions answers GET /bucket?versions from a Service that keeps
// versions: object versions and delete markers interleaved in order.
func (rq *request) listVersions(v Versioning, p listParams, keyMarker, vidMarker string) error {
	out := &ListVersionsOutput{}
	if p.maxKeys > 0 {
		var err error
		out, err = v.ListObjectVersions(rq.r.Context(), &ListVersionsInput{
			Bucket: rq.bucket, Prefix: p.prefix, Delimiter: p.delimiter,
			KeyMarker: keyMarker, VersionIDMarker: vidMarker, MaxKeys: p.maxKeys,
		})
		if err != nil {
			return err
		}
	} else if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
		return err
	}
	return rq.writeVersions(p, keyMarker, vidMarker, out)
}

// writeVersions answers a ListObjectVersions page, of a versioned bucket
// or not.
func (rq *request) writeVersions(p listParams, keyMarker, vidMarker string, out *ListVersionsOutput) error {
	o := rq.owner()
	res := listVersionsResult{
		Xmlns:           s3Namespace,
		Name:            rq.bucket,
		Prefix:          p.encode(p.prefix),
		KeyMarker:       p.encode(keyMarker),
		VersionIDMarker: vidMarker,
		MaxKeys:         p.maxKeys,
		Delimiter:       p.encode(p.delimiter),
		IsTruncated:     out.IsTruncated,
		EncodingType:    p.encodingType,
		Versions:        make([]any, 0, len(out.Versions)),
		Prefixes:        prefixEntries(out.CommonPrefixes, p.encode),
	}
	for i := range out.Versions {
		vi := &out.Versions[i]
		if vi.DeleteMarker {
			res.Versions = append(res.Versions, deleteMarkerXML{
				Key: p.encode(vi.Key), VersionID: vi.VersionID, IsLatest: vi.IsLatest,
				LastModified: timeISO(vi.LastModified), Owner: o,
			})
			continue
		}
		res.Versions = append(res.Versions, versionXML{
			Key:               p.encode(vi.Key),
			VersionID:         vi.VersionID,
			IsLatest:          vi.IsLatest,
			LastModified:      timeISO(vi.LastModified),
			ETag:              quoteETag(vi.ETag),
			Size:              vi.Size,
			StorageClass:      "STANDARD",
			Owner:             o,
			ChecksumAlgorithm: checksumAlgorithms(vi.Checksums),
			ChecksumType:      checksumType(&vi.ObjectInfo),
		})
	}
	if out.IsTruncated {
		res.NextKeyMarker = p.encode(out.NextKeyMarker)
		res.NextVersionIDMarker = out.NextVersionIDMarker
	}
	rq.writeXML(http.StatusOK, &res)
	return nil
}

// openObject opens the object a GET or HEAD names: the current version,
// or the one its versionId names.
func (rq *request) openObject() (ObjectReader, error) {
	if !rq.q.Has("versionId") {
		return rq.h.svc.GetObject(rq.r.Context(), rq.bucket, rq.key)
	}
	vid := rq.q.Get("versionId")
	v := rq.versioning()
	if v == nil {
		if err := checkVersionID(rq.q); err != nil {
			return nil, err
		}
		return rq.h.svc.GetObject(rq.r.Context(), rq.bucket, rq.key)
	}
	if err := checkVersionSyntax(vid); err != nil {
		return nil, err
	}
	return v.GetObjectVersion(rq.r.Context(), rq.bucket, rq.key, vid)
}

// deleteVersioned answers DELETE /bucket/key[?versionId=] on a Service
// that keeps versions.
func (rq *request) deleteVersioned(v Versioning, cond DeleteConditions) error {
	vid := ""
	if rq.q.Has("versionId") {
		vid = rq.q.Get("versionId")
		if err := checkVersionSyntax(vid); err != nil {
			return err
		}
	}
	out, err := v.DeleteObjectVersion(rq.r.Context(), rq.bucket, rq.key, vid, vid != "" && rq.bypassGovernance(), cond)
	if err != nil && (!isNoSuch(err) || cond.Answers404()) {
		return err
	}
	h := rq.w.Header()
	if out.VersionID != "" {
		h.Set("x-amz-version-id", out.VersionID)
	}
	if out.DeleteMarker {
		h.Set("x-amz-delete-marker", "true")
	}
	rq.noContent(http.StatusNoContent)
	return nil
}

// isNoSuch reports the errors a DELETE answers with 204 (S3 deletes are
// idempotent: a missing key or version is no failure).
func isNoSuch(err error) bool {
	e := AsError(err)
	return e.Code == ErrNoSuchKey.Code || e.Code == ErrNoSuchVersion.Code
}

// setVersionHeader sends x-amz-version-id when the Service named one.
func (rq *request) setVersionHeader(vid string) {
	if vid != "" {
		rq.w.Header().Set("x-amz-version-id", vid)
	}
}
