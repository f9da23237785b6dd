package main

import (
	"errors"
	"fmt"
	"io"

	"envelopegw/envelope"
)

func init() {
	register("encrypt", "encrypt a file to one or more recipients", func(args []string) error {
		return cmdEncrypt(args, osStdio())
	})
}

func cmdEncrypt(args []string, s stdio) error {
	fs := newFlagSet("encrypt", "encrypt -r RECIPIENT [-r ...] [-R FILE] [-s SIGNING_KEY] [-o OUT] [IN]", s)
	var rs, rfiles listFlag
	fs.Var(&rs, "r", "a recipient string, or a file holding recipients (repeatable)")
	fs.Var(&rfiles, "R", "a recipients `FILE`: one per line or PEM block (repeatable)")
	out := fs.String("o", "", "write the envelope to `OUT` (complete or not at all) instead of stdout")
	seg := fs.Int("segment-size", envelope.DefaultSegmentSize, "plaintext bytes per segment")
	signFile := fs.String("s", "", "sign the envelope with the signing key `FILE` (keygen -t sign)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	recipients, err := cliRecipients(rs, rfiles)
	if err != nil {
		return err
	}
	if w := mixedStrengthWarning(recipients); w != "" {
		fmt.Fprintln(s.err, "envelopegw encrypt: warning: "+w)
	}
	in, f, size, err := openInput(fs, s)
	if err != nil {
		return err
	}
	if f != nil {
		defer f.Close()
	}
	var dst io.Writer = s.out
	var pending *pendingFile
	if *out != "" {
		if pending, err = createPending(*out, 0o644); err != nil {
			return err
		}
		defer pending.discard()
		dst = pending
	} else if s.outTTY {
		return errors.New("refusing to write an envelope to a terminal; use -o OUT or a redirect")
	}
	var w io.WriteCloser
	if *signFile != "" {
		sk, err := loadSigningKey(*signFile)
		if err != nil {
			return err
		}
		w, err = envelope.EncryptSigned(dst, recipients, &envelope.Options{SegmentSize: *seg}, sk)
	} else {
		w, err = envelope.Encrypt(dst, recipients, &envelope.Options{SegmentSize: *seg})
	}
	if err != nil {
		return err
	}
	bar := startProgress(s, "encrypt", size)
	err = copyLarge(w, bar.Reader(in))
	bar.Finish()
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if pending != nil {
		return pending.commit()
	}
	return nil
}

// copyLarge copies in 1 MiB reads, so the envelope writer seals straight
// from the buffer in big batches.
func copyLarge(dst io.Writer, src io.Reader) error {
	buf := make([]byte, 1<<20)
	_, err := io.CopyBuffer(onlyWriter{dst}, onlyReader{src}, buf)
	if err != nil {
		return fmt.Errorf("copying: %w", err)
	}
	return nil
}

// onlyWriter and onlyReader hide ReaderFrom/WriterTo so that CopyBuffer
// really uses the large buffer.
type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }
