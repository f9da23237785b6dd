package main

import (
	"fmt"
	"io"
	"time"

	"envelopegw/envelope"
)

func init() {
	register("inspect", "describe an envelope (no key needed, nothing secret shown)", func(args []string) error {
		return cmdInspect(args, osStdio())
	})
}

func cmdInspect(args []string, s stdio) error {
	fs := newFlagSet("inspect", "inspect [IN] | inspect --data DIR BUCKET/KEY", s)
	data := fs.String("data", "", "a gateway's data `directory`: inspect the object BUCKET/KEY stored there")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data != "" {
		return inspectStored(*data, fs.Args(), s.out)
	}
	in, f, size, err := openInput(fs, s)
	if err != nil {
		return err
	}
	if f != nil {
		defer f.Close()
	}
	var l *envelope.FileLayout
	if size >= 0 {
		l, err = envelope.ReadFileLayout(f, size)
	} else {
		l, err = readLayoutStream(in)
	}
	if err != nil {
		return err
	}
	t, err := envelope.ParseTableUnauthenticated(l.Table)
	if err != nil {
		return err
	}
	h := l.Header
	seg := h.SegmentSize()
	w := s.out
	if l.Signed == nil {
		fmt.Fprintf(w, "format:         envelopegw version %d (unsigned)\n", h.Version())
	} else if rec, err := envelope.ParseSignedRecordUnauthenticated(l.Signed); err == nil {
		fmt.Fprintf(w, "format:         envelopegw version 2 (signed)\n")
		fmt.Fprintf(w, "signer:         %s %s\n", envelope.TypeSignEd25519MLDSA65, rec.Signer)
		fmt.Fprintf(w, "signed at:      %s\n", rec.Created.Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "format:         envelopegw version 2 (signed record does not parse: %v)\n", err)
	}
	fmt.Fprintf(w, "suite:          %s\n", h.Suite())
	fmt.Fprintf(w, "segment size:   %d\n", seg)
	fmt.Fprintf(w, "header size:    %d\n", l.HeaderSize)
	fmt.Fprintf(w, "recipients:     %d\n", len(h.Stanzas()))
	for _, st := range h.Stanzas() {
		fmt.Fprintf(w, "  %-16s %s\n", st.Type, st.KeyID)
	}
	fmt.Fprintf(w, "parts:          %d\n", len(t.Parts))
	for _, p := range t.Parts {
		fmt.Fprintf(w, "  part %-5d %d bytes\n", p.Number, p.Size)
	}
	fmt.Fprintf(w, "plaintext size: %d\n", t.Size())
	fmt.Fprintf(w, "file size:      %d\n", l.FileSize)
	if over := l.FileSize - t.Size(); t.Size() > 0 {
		fmt.Fprintf(w, "overhead:       %d bytes (%.4f%%)\n", over, 100*float64(over)/float64(t.Size()))
	}
	if want := t.BodySize(seg); want != l.BodySize {
		fmt.Fprintf(w, "WARNING:        part bodies are %d bytes, the table describes %d\n", l.BodySize, want)
	}
	fmt.Fprintf(w, "(unauthenticated: inspect holds no key; decrypt --signer verifies everything)\n")
	return nil
}

// readLayoutStream reads a non-seekable envelope to its end, keeping only
// the header and the last bytes that can hold the table and footer.
func readLayoutStream(r io.Reader) (*envelope.FileLayout, error) {
	h, err := envelope.ReadHeader(r)
	if err != nil {
		return nil, err
	}
	tail := make([]byte, 0, 2*envelope.MaxTrailerSize)
	buf := make([]byte, 1<<20)
	var body int64
	for {
		n, err := r.Read(buf)
		tail = append(tail, buf[:n]...)
		if len(tail) > envelope.MaxTrailerSize {
			drop := len(tail) - envelope.MaxTrailerSize
			body += int64(drop)
			tail = append(tail[:0], tail[drop:]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	tb, signed, tl, err := envelope.SplitTrailer(tail)
	if err != nil {
		return nil, err
	}
	hs := int64(h.Size())
	body += int64(len(tail) - tl)
	return &envelope.FileLayout{
		Header: h, HeaderSize: hs, BodyOffset: hs, BodySize: body,
		TableOffset: hs + body, Table: tb, FileSize: hs + body + int64(tl), Signed: signed,
	}, nil
}
