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

// SigningKeyring is a Keyring that may also name, per bucket, the key
// that signs the records of new objects, so that each team's backups
// carry a signature only that team's ingest hosts can make. Keys it
// names are trusted for reading besides Config.Signers (a gateway trusts
// what it signs).
type SigningKeyring interface {
	Keyring
	// SigningKey returns the signing key for a new object in bucket, and
	// false when the bucket's entry names none (Config.SigningKey signs).
	SigningKey(bucket string) (*envelope.SigningKey, bool)
	// SignerKeys is the public half of every signing key it names.
	SignerKeys() envelope.Signers
}

// signerFor is the key that signs a new object's record in bucket.
func (s *Service) signerFor(bucket string) *envelope.SigningKey {
	if sk, ok := s.keyring.(SigningKeyring); ok {
		if k, ok := sk.SigningKey(bucket); ok {
			return k
		}
	}
	return s.signer
}

// trustedSigners is the set of signers whose records this service
// accepts: the configured ones, its own key, and the keyring's keys as
// they are now (the keyring reloads).
func (s *Service) trustedSigners() envelope.Signers {
	sk, ok := s.keyring.(SigningKeyring)
	if !ok {
		return s.trusted
	}
	extra := sk.SignerKeys()
	if len(extra) == 0 {
		return s.trusted
	}
	out := append(envelope.Signers(nil), s.trusted...)
	for _, p := range extra {
		if out.Find(p.KeyID()) == nil {
			out = append(out, p)
		}
	}
	return out
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
