package main

import (
	"fmt"
	"io"
	"path/filepath"

	"envelopegw/envelope"
)

// serverSigning is serve's signing setup: the key that signs every object
// and the signers whose objects it serves.
type serverSigning struct {
	key     *envelope.SigningKey
	trusted envelope.Signers // besides key's public half
	onData  bool             // key is the default one under the data directory
}

func defaultSigningKeyPath(data string) string {
	return filepath.Join(data, stateDirName, "signing.key")
}

// setUpSigning loads --signing-key, or the default key under the data
// directory (created on first use, like the state key), and --signer.
func (s *server) setUpSigning() error {
	var err error
	if s.cfg.signingKey != "" {
		s.signing.key, err = loadSigningKey(s.cfg.signingKey)
	} else {
		var created bool
		path := defaultSigningKeyPath(s.cfg.data)
		s.signing.key, created, err = loadOrCreateSigningKey(path)
		s.signing.onData = true
		if created {
			s.createdNotice = append(s.createdNotice, "signing key "+path+" (give readers "+path+".pub)")
		}
	}
	if err != nil {
		return err
	}
	s.signing.trusted, err = loadSigners(s.cfg.signers)
	return err
}

// logSigning logs the signer and warns where the setup weakens the threat
// model: the signing key on the data volume (outside the development
// setup, which warns about its identity already), signers not checked,
// recipients of unequal strength.
func (s *server) logSigning() {
	s.log.Info("signing", "signer", s.signing.key.KeyID(), "trusted_signers", s.trustedIDs())
	if s.signing.onData && s.devIdentity == "" {
		s.log.Warn("the signing key is on the data volume: whoever can write the volume can sign objects that readers trust; keep it elsewhere and give it with --signing-key",
			"path", defaultSigningKeyPath(s.cfg.data))
	}
	if s.cfg.skipSigner {
		s.log.Warn("--insecure-skip-signer: objects are served whatever signed them, and unsigned v1 objects too; anyone with write access to the volume can plant objects")
	}
	if w := mixedStrengthWarning(s.recipients); w != "" {
		s.log.Warn(w, "recipients", recipientIDs(s.recipients))
	}
}

func (s *server) trustedIDs() string {
	ids := s.signing.key.KeyID()
	for _, k := range s.signing.trusted {
		ids += "," + k.KeyID()
	}
	return ids
}

func (s *server) printSigning(w io.Writer) {
	fmt.Fprintf(w, "signing key     %s %s\n", envelope.TypeSignEd25519MLDSA65, s.signing.key.KeyID())
	for _, k := range s.signing.trusted {
		fmt.Fprintf(w, "trusted signer  %s %s\n", envelope.TypeSignEd25519MLDSA65, k.KeyID())
	}
	if s.cfg.skipSigner {
		fmt.Fprintf(w, "warning         --insecure-skip-signer: signatures are not checked\n")
	}
}

// mixedStrengthWarning says so when post-quantum and classical-only
// recipients are mixed: an object is only as strong as its weakest
// stanza, so the post-quantum one protects nothing against an attacker
// who can break the classical one.
func mixedStrengthWarning(rs []envelope.Recipient) string {
	var pq, classical bool
	for _, r := range rs {
		if r.Type() == envelope.TypeMLKEM768X25519 {
			pq = true
		} else {
			classical = true
		}
	}
	if pq && classical {
		return "post-quantum and classical-only recipients are mixed: every object is only as strong as its weakest recipient (a future quantum attacker opens it through the classical one)"
	}
	return ""
}
