package gateway

import "envelopegw/envelope"

// Keyring chooses the recipients of a new object by its bucket, so that
// each team's objects are sealed to that team's restore keys. The
// gateway asks it at the one point where a new object's envelope header
// is made (PutObject and CreateMultipartUpload; copies keep their
// source's header, and so its recipients). Implementations must be safe
// for concurrent use; the server's keyring file swaps its table on
// reload.
type Keyring interface {
	// Recipients returns the recipients for a new object in bucket, and
	// false when the keyring has no entry for it (then
	// Config.Recipients apply).
	Recipients(bucket string) ([]envelope.Recipient, bool)
}

// recipientsFor is the recipient set for a new object in bucket.
func (s *Service) recipientsFor(bucket string) []envelope.Recipient {
	if s.keyring != nil {
		if rs, ok := s.keyring.Recipients(bucket); ok {
			return rs
		}
	}
	return s.keySet().recipients
}

// KeyIDs lists the key IDs the object's data key is wrapped for, from its
// header (no key needed); nil if the header cannot be read.
func (r *objectReader) KeyIDs() []string {
	hb, err := getBytes(r.obj.Info().Meta, mHeader)
	if err != nil {
		return nil
	}
	h, err := envelope.ParseHeader(hb)
	if err != nil {
		return nil
	}
	return headerKeyIDs(h)
}
