package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"envelopegw/envelope"
)

func init() {
	register("decrypt", "decrypt an envelope with an identity file", func(args []string) error {
		return cmdDecrypt(args, osStdio())
	})
}

func cmdDecrypt(args []string, s stdio) error {
	fs := newFlagSet("decrypt", "decrypt -i IDENTITY_FILE [-i ...] [-o OUT] [IN]", s)
	var idFiles listFlag
	fs.Var(&idFiles, "i", "an identity `FILE` (repeatable)")
	out := fs.String("o", "", "write the plaintext to `OUT`, which appears only after everything verified")
	var signerFiles listFlag
	fs.Var(&signerFiles, "signer", "trusted signer key `FILE`: the envelope must be signed by one of them (repeatable)")
	skip := fs.Bool("insecure-skip-signer", false, "decrypt a signed envelope without checking who signed it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ids, err := cliIdentities(idFiles)
	if err != nil {
		return err
	}
	trusted, err := loadSigners(signerFiles)
	if err != nil {
		return err
	}
	in, f, size, err := openInput(fs, s)
	if err != nil {
		return err
	}
	if f != nil {
		defer f.Close()
	}
	if size < 0 && len(trusted) > 0 {
		// A signed envelope's record comes after its data, and no
		// plaintext may leave before the record verifies: a pipe is
		// spooled (ciphertext only) to an unlinked temporary file first.
		sf, n, err := spoolCiphertext(in)
		if err != nil {
			return err
		}
		defer sf.Close()
		f, size = sf, n
	}
	// A regular file is read through io.ReaderAt: header and part table
	// are authenticated before the first segment, and envelopes of any
	// number of parts work. Pipes are decrypted as they stream.
	var src io.Reader
	total := int64(-1)
	if size >= 0 {
		l, err := envelope.ReadFileLayout(f, size)
		if err != nil {
			return err
		}
		if err := checkFileSigner(l, trusted, *skip); err != nil {
			return err
		}
		rc, t, err := envelope.DecryptLayout(f, l, ids...)
		if err != nil {
			return err
		}
		defer rc.Close()
		src, total = rc, t.Size()
	} else {
		if src, err = envelope.Decrypt(in, ids...); err != nil {
			return err
		}
	}
	var dst io.Writer = s.out
	var pending *pendingFile
	if *out != "" {
		if pending, err = createPending(*out, 0o600); err != nil {
			return err
		}
		defer pending.discard()
		dst = pending
	}
	bar := startProgress(s, "decrypt", total)
	_, err = io.Copy(bar.Writer(dst), src)
	bar.Finish()
	if err != nil {
		if errors.Is(err, envelope.ErrAuth) || errors.Is(err, envelope.ErrFormat) {
			return err
		}
		return fmt.Errorf("writing plaintext: %w", err)
	}
	if pending != nil {
		return pending.commit()
	}
	return nil
}

// checkFileSigner verifies a file's signature when signers are given; a
// signed file with none given is refused unless skip, since its signature
// is there to be checked.
func checkFileSigner(l *envelope.FileLayout, trusted envelope.Signers, skip bool) error {
	switch {
	case len(trusted) > 0:
		_, err := envelope.VerifyFile(l, trusted)
		return err
	case l.Signed != nil && !skip:
		return errors.New("the envelope is signed: give the signer's public key with --signer FILE, or --insecure-skip-signer")
	}
	return nil
}

// spoolCiphertext copies a piped envelope to a temporary file that is
// unlinked at once (mode 0600, in $TMPDIR): only ciphertext touches the
// disk, and nothing is left behind however the process ends.
func spoolCiphertext(in io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "envelopegw-decrypt-*")
	if err != nil {
		return nil, 0, fmt.Errorf("spooling the envelope from standard input: %w", err)
	}
	os.Remove(f.Name())
	n, err := io.Copy(f, in)
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("spooling the envelope from standard input: %w", err)
	}
	return f, n, nil
}
