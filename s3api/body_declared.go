package s3api

// ChecksumDeclarer is implemented by the Bodies the handler passes to a
// Service: DeclaredChecksum names the x-amz-checksum algorithm the client
// declared for the body (by header, by trailer or by
// x-amz-sdk-checksum-algorithm), "" when none. Sums().Checksums carries
// that algorithm's verified value once the body has been read, so a
// Service can leave out a checksum of its own that the client's already
// gives: each digest is computed once per byte.
type ChecksumDeclarer interface {
	DeclaredChecksum() string
}

// DeclaredChecksum implements ChecksumDeclarer.
func (b *requestBody) DeclaredChecksum() string {
	if b.ck == nil {
		return ""
	}
	return b.ck.alg
}
