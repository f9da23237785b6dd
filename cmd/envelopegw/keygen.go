package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"envelopegw/envelope"
)

func init() {
	register("keygen", "generate an identity (private key) and its recipient", func(args []string) error {
		return cmdKeygen(args, osStdio())
	})
}

func cmdKeygen(args []string, s stdio) error {
	fs := newFlagSet("keygen", "keygen [-t mlkem768x25519|x25519|rsa|sign] [-o FILE] | keygen -y FILE", s)
	kind := fs.String("t", envelope.TypeMLKEM768X25519, "key type: mlkem768x25519, x25519, rsa (3072-bit RSA-OAEP-SHA256), or sign (an ed25519-mldsa65 signing key)")
	out := fs.String("o", "", "write the identity to `FILE` (mode 0600) and the recipient to FILE.pub")
	conv := fs.String("y", "", "print the recipients of the identity `FILE` and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *conv != "" {
		if *out != "" {
			return fmt.Errorf("%w: -y and -o do not combine", errUsage)
		}
		ids, err := cliIdentities([]string{*conv})
		if err != nil {
			return err
		}
		for _, id := range ids {
			fmt.Fprintln(s.out, id.Recipient().String())
		}
		return nil
	}
	if *kind == "sign" || *kind == envelope.TypeSignEd25519MLDSA65 {
		return keygenSign(*out, s)
	}
	id, err := envelope.GenerateIdentity(*kind)
	if err != nil {
		return err
	}
	text, err := identityFileText(id)
	if err != nil {
		return err
	}
	rcpt := id.Recipient().String()
	if *out == "" {
		if _, err := s.out.Write(text); err != nil {
			return err
		}
		fmt.Fprintln(s.err, rcpt)
		return nil
	}
	return writeKeyPair(*out, text, rcpt)
}

// identityFileText is the identity with comments naming what it is.
func identityFileText(id envelope.Identity) ([]byte, error) {
	t, err := id.MarshalText()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# envelopegw identity, created %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "# type: %s, key ID: %s\n", id.Type(), id.KeyID())
	fmt.Fprintf(&b, "# recipient: %s\n", id.Recipient().String())
	b.Write(t)
	if len(t) > 0 && t[len(t)-1] != '\n' {
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

// writeKeyPair creates path (0600) and path.pub, refusing to overwrite
// either; a half-written pair is removed.
func writeKeyPair(path string, identity []byte, recipient string) error {
	pub := path + ".pub"
	for _, p := range []string{path, pub} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists; refusing to overwrite", p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := writeNewFile(path, identity, 0o600); err != nil {
		return err
	}
	if err := writeNewFile(pub, []byte(recipient+"\n"), 0o644); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
