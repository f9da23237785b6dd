package gateway

import (
	"envelopegw/s3api"
)

// partChecksumMatches applies S3's rule for the parts of an upload created
// with a checksum algorithm, before any of the part is read: a part that
// declares another algorithm (header, trailer or
// x-amz-sdk-checksum-algorithm) is refused, and so is a part of a
// COMPOSITE upload that declares none, since the object's checksum is
// made of the parts' own. A FULL_OBJECT upload's CRC is computed here for
// a part that sends none (the CRCs combine whatever the client sent).
func partChecksumMatches(alg, typ, declared string) error {
	if alg == "" {
		return nil
	}
	switch {
	case declared != "" && declared != alg:
	case declared == "" && typ != s3api.ChecksumTypeFullObject:
		declared = "null"
	default:
		return nil
	}
	return s3api.ErrInvalidRequest.WithMessage("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", alg, declared)
}
