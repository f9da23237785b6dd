package main

import (
	"errors"
	"fmt"
	"io"

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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ids, err := cliIdentities(idFiles)
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
	// A regular file is read through io.ReaderAt: header and part table
	// are authenticated before the first segment, and envelopes of any
	// number of parts work. Pipes are decrypted as they stream.
	var src io.Reader
	total := int64(-1)
	if size >= 0 {
		rc, t, err := envelope.DecryptReaderAt(f, size, ids...)
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
