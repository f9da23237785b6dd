package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"envelopegw/envelope"
)

func init() {
	register("rewrap", "add or remove recipients of an envelope file in place", func(args []string) error {
		return cmdRewrap(args, osStdio())
	})
}

func cmdRewrap(args []string, s stdio) error {
	fs := newFlagSet("rewrap", "rewrap -i IDENTITY [-r NEW_RECIPIENT ...] [-R FILE] [--remove KEYID ...] FILE\n       envelopegw rewrap (--data DIR | --upstream URL) -i IDENTITY [-r ...] [--remove KEYID ...] [--dry-run] [-j N] BUCKET[/PREFIX]", s)
	var idFiles, rs, rfiles, remove listFlag
	fs.Var(&idFiles, "i", "an identity `FILE` that opens the envelope (repeatable)")
	fs.Var(&rs, "r", "a recipient to add: a recipient string or a file holding recipients (repeatable)")
	fs.Var(&rfiles, "R", "a recipients `FILE` to add (repeatable)")
	fs.Var(&remove, "remove", "the key ID of a recipient to remove (repeatable)")
	var bulk bulkRewrapFlags
	bulk.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: rewrap needs exactly one FILE (it is changed in place), or with --data or --upstream one BUCKET[/PREFIX]", errUsage)
	}
	if len(rs)+len(rfiles)+len(remove) == 0 {
		return fmt.Errorf("%w: nothing to do: give -r, -R or --remove", errUsage)
	}
	ids, err := cliIdentities(idFiles)
	if err != nil {
		return err
	}
	var add []envelope.Recipient
	if len(rs)+len(rfiles) > 0 {
		if add, err = cliRecipients(rs, rfiles); err != nil {
			return err
		}
	}
	if bulk.data != "" || bulk.up.url != "" {
		return bulk.run(s, fs.Arg(0), ids, add, remove)
	}
	return rewrapFile(fs.Arg(0), ids, add, remove)
}

// rewrapFile replaces the header of path with one sealed for the new
// recipient set. Everything after the header is copied unchanged into a
// temporary file beside path, which is synced and renamed over it, and the
// directory is synced: a crash leaves the old or the new file, never a mix.
func rewrapFile(path string, ids []envelope.Identity, add []envelope.Recipient, remove []string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	l, err := envelope.ReadFileLayout(f, st.Size())
	if err != nil {
		return err
	}
	if l.Signed != nil {
		// The signed record names the header's hash: a new header would
		// leave a signature that no longer verifies.
		return fmt.Errorf("%s is a signed envelope (format v2); rewrap would break its signature: decrypt and encrypt -s it anew", path)
	}
	k, err := l.Header.Unwrap(ids...)
	if err != nil {
		return err
	}
	// Rewrap only envelopes that are whole: the table authenticates and
	// the part bodies have the size it describes.
	t, err := k.OpenTable(l.Table)
	if err != nil {
		return err
	}
	if want := t.BodySize(l.Header.SegmentSize()); want != l.BodySize {
		return fmt.Errorf("%w: part bodies are %d bytes, the table says %d", envelope.ErrAuth, l.BodySize, want)
	}
	var have []string
	for _, s := range l.Header.Stanzas() {
		have = append(have, s.KeyID)
	}
	for _, id := range remove {
		if !slices.Contains(have, id) {
			return fmt.Errorf("--remove %s: no recipient with that key ID", id)
		}
	}
	nh, err := k.Rewrap(l.Header, add, remove)
	if err != nil {
		return err
	}
	hb, err := nh.MarshalBinary()
	if err != nil {
		return err
	}
	p, err := createPending(path, st.Mode().Perm())
	if err != nil {
		return err
	}
	defer p.discard()
	if _, err := p.Write(hb); err != nil {
		return err
	}
	rest := io.NewSectionReader(f, l.HeaderSize, st.Size()-l.HeaderSize)
	if n, err := io.CopyBuffer(onlyWriter{p}, onlyReader{rest}, make([]byte, 1<<20)); err != nil {
		return err
	} else if n != st.Size()-l.HeaderSize {
		return errors.New("file changed while rewrapping")
	}
	return p.commit()
}
