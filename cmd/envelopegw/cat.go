package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"envelopegw/gateway"
	"envelopegw/s3api"
)

func init() {
	register("cat", "write an object's plaintext from a data directory to stdout (no server)", func(args []string) error {
		err := catMain(context.Background(), args, os.Stdout, os.Stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	})
}

// catMain decrypts BUCKET/KEY straight off a data directory, read-only,
// with the given identities. Plaintext is written as segments verify; if a
// later segment fails, the error is returned (and the command exits
// non-zero) after what was already written, so a pipeline must check the
// exit status, as with any streaming decryptor.
func catMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var store storeFlags
	addStoreFlags(fs, &store, true)
	var ids listFlag
	fs.Var(&ids, "i", "identity `file`; repeatable")
	fs.Var(&ids, "identity", "identity `file`; repeatable (same as -i)")
	var signers listFlag
	fs.Var(&signers, "signer", "trusted signer key `file` (a gateway's signing key FILE.pub); repeatable")
	skip := fs.Bool("insecure-skip-signer", false, "read the object whatever signed it, or an unsigned v1 object")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: envelopegw cat (--data DIR | --upstream URL) -i IDENTITY [-i ...] --signer FILE [--signer ...] BUCKET/KEY\n\nWrites the plaintext of one object to stdout, reading the data directory\n(or the upstream S3 bucket) directly (no server, nothing written). The object\nmust be signed by one of the --signer keys.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("want exactly one BUCKET/KEY")
	}
	bucket, key, ok := strings.Cut(fs.Arg(0), "/")
	if !ok || bucket == "" || key == "" {
		return fmt.Errorf("%q is not BUCKET/KEY", fs.Arg(0))
	}
	if len(ids) == 0 {
		return errors.New("no identity: give the private key with -i FILE")
	}
	identities, err := loadIdentities(ids)
	if err != nil {
		return err
	}
	trusted, err := loadSigners(signers)
	if err != nil {
		return err
	}
	if len(trusted) == 0 && !*skip {
		return errNoSigner
	}
	be, err := store.open(ctx, true)
	if err != nil {
		return err
	}
	cause := &lastCause{}
	svc, err := gateway.New(gateway.Config{Backend: be, Identities: identities, Logger: slog.New(cause),
		Signers: trusted, InsecureSkipSigner: *skip})
	if err != nil {
		return err
	}
	obj, err := svc.GetObject(ctx, bucket, key)
	if err != nil {
		return catError(bucket, key, err, cause)
	}
	defer obj.Close()
	rc, err := obj.ReadRange(0, obj.Info().Size)
	if err != nil {
		return catError(bucket, key, err, cause)
	}
	defer rc.Close()
	w := bufio.NewWriterSize(stdout, 1<<20)
	n, err := io.Copy(errWriter{w}, rc)
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return fmt.Errorf("writing plaintext: %w", we.err)
		}
		return fmt.Errorf("%s/%s: decryption failed after %d bytes: %w", bucket, key, n, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing plaintext: %w", err)
	}
	if n != obj.Info().Size {
		return fmt.Errorf("%s/%s: wrote %d bytes, the object has %d", bucket, key, n, obj.Info().Size)
	}
	return nil
}

// writeError marks a failure to write stdout, to tell it from a failure
// to decrypt.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

type errWriter struct{ w io.Writer }

func (e errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}

// catError words a gateway error for a terminal, with the cause the
// gateway logged when it hid one from its (S3) answer.
func catError(bucket, key string, err error, cause *lastCause) error {
	var se *s3api.Error
	if errors.As(err, &se) {
		switch se.Code {
		case "NoSuchKey":
			return fmt.Errorf("%s/%s: no such object", bucket, key)
		case "NoSuchBucket":
			return fmt.Errorf("%s: no such bucket", bucket)
		}
		if cause.err != "" {
			return fmt.Errorf("%s/%s: %s (%s)", bucket, key, strings.TrimSuffix(se.Message, "."), cause.err)
		}
		return fmt.Errorf("%s/%s: %s", bucket, key, se.Message)
	}
	return fmt.Errorf("%s/%s: %w", bucket, key, err)
}

// lastCause is a slog.Handler that keeps the "err" attribute of the last
// warning or error the gateway logged.
type lastCause struct{ err string }

func (c *lastCause) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (c *lastCause) WithAttrs([]slog.Attr) slog.Handler           { return c }
func (c *lastCause) WithGroup(string) slog.Handler                { return c }
func (c *lastCause) Handle(_ context.Context, r slog.Record) error {
	c.err = r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			c.err = a.Value.String()
			return false
		}
		return true
	})
	return nil
}
