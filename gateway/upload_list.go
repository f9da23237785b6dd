package gateway

import (
	"envelopegw/backend"
	"envelopegw/s3api"
)

// listedUpload describes one in-progress upload for ListMultipartUploads,
// with the checksum algorithm and type S3 lists for each upload. Both come
// from the upload's sealed attributes, which every backend already returns
// with the listing (backend.Upload.Meta), so listing costs no extra read.
// An upload whose attributes cannot be opened (an older layout, a missing
// state key, damage) is still listed, without the checksum fields: the
// listing is not where that upload's problem is reported; its own
// requests (UploadPart, Complete, ListParts) answer the error.
func (s *Service) listedUpload(u backend.Upload) s3api.UploadInfo {
	info := s3api.UploadInfo{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated}
	if attrs, err := s.openUploadAttrs(u); err == nil {
		info.ChecksumAlgorithm = attrs[mChecksumAlg]
		info.ChecksumType = attrs[mChecksumType]
	}
	return info
}
