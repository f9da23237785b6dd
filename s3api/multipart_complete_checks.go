package s3api

import "envelopegw/s3api/checksum"

// errPartChecksumSyntax is S3's answer to a part of a CompleteMultipartUpload
// body whose checksum is not the base64 of a digest of its algorithm, or
// that carries more than one checksum.
var errPartChecksumSyntax = ErrInvalidArgument.WithMessage("Invalid Base64 or multiple checksums present in request")

// checkPartChecksumSyntax checks the checksums a completed part lists,
// before anything is looked up: at most one, and well-formed.
func checkPartChecksumSyntax(p CompletedPart) error {
	if len(p.Checksums) > 1 {
		return errPartChecksumSyntax.WithDetail("Part %d lists %d checksums.", p.PartNumber, len(p.Checksums))
	}
	for alg, v := range p.Checksums {
		if _, err := checksum.Decode(alg, v); err != nil {
			return errPartChecksumSyntax.WithDetail("The %s of part %d is not the base64 of a %s digest.", alg, p.PartNumber, alg)
		}
	}
	return nil
}
