package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"envelopegw/envelope"
)

// keygenSign writes a new signing key: to FILE (0600) and its signer key
// to FILE.pub, or the key to stdout and the signer key to stderr.
func keygenSign(out string, s stdio) error {
	k, err := envelope.GenerateSigningKey()
	if err != nil {
		return err
	}
	text := signingKeyFileText(k)
	pub := k.Public().String()
	if out == "" {
		if _, err := s.out.Write(text); err != nil {
			return err
		}
		fmt.Fprintln(s.err, pub)
		return nil
	}
	return writeKeyPair(out, text, pub)
}

func signingKeyFileText(k *envelope.SigningKey) []byte {
	t, _ := k.MarshalText()
	var b strings.Builder
	fmt.Fprintf(&b, "# envelopegw signing key, created %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "# type: %s, key ID: %s\n", envelope.TypeSignEd25519MLDSA65, k.KeyID())
	fmt.Fprintf(&b, "# give readers the public half (FILE.pub) with --signer\n")
	b.Write(t)
	return []byte(b.String())
}

// loadSigningKey reads a signing key file, which must be private to its
// owner.
func loadSigningKey(path string) (*envelope.SigningKey, error) {
	b, err := readPrivateFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	defer clear(b)
	k, err := envelope.ParseSigningKeyFile(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("signing key file %s: %w", path, err)
	}
	return k, nil
}

// loadOrCreateSigningKey reads the signing key at path, creating it on
// first use (exclusively, as the state key: the loser of a race reads the
// winner's key).
func loadOrCreateSigningKey(path string) (*envelope.SigningKey, bool, error) {
	k, err := envelope.GenerateSigningKey()
	if err != nil {
		return nil, false, err
	}
	created, err := createExclusive(path, signingKeyFileText(k))
	if err != nil {
		return nil, false, fmt.Errorf("signing key %s: %w", path, err)
	}
	if created {
		// The public half is not secret, but it lives in the gateway's
		// private directory, where every file is 0600.
		if err := os.WriteFile(path+".pub", []byte(k.Public().String()+"\n"), 0o600); err != nil {
			return nil, false, fmt.Errorf("signing key %s.pub: %w", path, err)
		}
	}
	k, err = loadSigningKey(path)
	return k, created, err
}

// loadSigners reads signer (public) key files, or signer key strings.
func loadSigners(args []string) (envelope.Signers, error) {
	var out envelope.Signers
	for _, a := range args {
		if strings.HasPrefix(strings.TrimSpace(a), "egw-sign-") {
			k, err := envelope.ParseSignerKey(a)
			if err != nil {
				return nil, err
			}
			out = append(out, k)
			continue
		}
		b, err := os.ReadFile(a)
		if err != nil {
			return nil, fmt.Errorf("signer file: %w", err)
		}
		ks, err := envelope.ParseSignerKeys(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("signer file %s: %w", a, err)
		}
		if len(ks) == 0 {
			return nil, fmt.Errorf("signer file %s holds no signer key", a)
		}
		out = append(out, ks...)
	}
	return out, nil
}

var errNoSigner = errors.New("no trusted signer: give the gateway's public signing key with --signer FILE (FILE.pub of its signing key, or .envelopegw/signing.key.pub in its data directory), or --insecure-skip-signer to read without checking who wrote the object")
