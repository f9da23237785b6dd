package envelope

import "errors"

var (
	// ErrNoIdentity: none of the given identities can unwrap any stanza.
	ErrNoIdentity = errors.New("envelope: no identity matches any recipient of this envelope")
	// ErrIncorrectIdentity is returned by Identity.Unwrap for a stanza that is not its own.
	ErrIncorrectIdentity = errors.New("envelope: stanza is not for this identity")
	// ErrAuth: a segment, the header or the part table failed authentication.
	ErrAuth = errors.New("envelope: authentication failed")
	// ErrFormat: bytes that do not parse as this format.
	ErrFormat = errors.New("envelope: malformed envelope")
)
