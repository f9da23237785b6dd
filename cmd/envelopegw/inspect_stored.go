package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"envelopegw/backend/posix"
	"envelopegw/envelope"
	"envelopegw/gateway"
)

// inspectStored describes an object in a gateway's data directory: its
// size and ETag, and the key IDs whose private keys can open it. It reads
// the volume only and needs no key.
func inspectStored(data string, args []string, w io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: inspect --data DIR takes exactly one BUCKET/KEY", errUsage)
	}
	bucket, key, ok := strings.Cut(args[0], "/")
	if !ok || bucket == "" || key == "" {
		return fmt.Errorf("%w: %q is not BUCKET/KEY", errUsage, args[0])
	}
	be, err := posix.New(data, posix.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	svc, err := gateway.New(gateway.Config{Backend: be})
	if err != nil {
		return err
	}
	st, err := svc.Describe(context.Background(), bucket, key)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	fmt.Fprintf(w, "object:         %s/%s\n", bucket, key)
	fmt.Fprintf(w, "format:         %s\n", st.Format)
	if st.Signer != "" {
		fmt.Fprintf(w, "signer:         %s %s (not verified: inspect holds no signer; scrub --signer verifies)\n", envelope.TypeSignEd25519MLDSA65, st.Signer)
		fmt.Fprintf(w, "written:        %s (write ID %s)\n", st.Created.UTC().Format("2006-01-02T15:04:05Z"), st.WriteID)
	}
	fmt.Fprintf(w, "size:           %d\n", st.Size)
	if st.ETag != "" {
		fmt.Fprintf(w, "etag:           %s\n", st.ETag)
	} else {
		fmt.Fprintf(w, "etag:           (sealed; HEAD on the gateway shows it)\n")
	}
	fmt.Fprintf(w, "last modified:  %s\n", st.ModTime.UTC().Format("2006-01-02T15:04:05Z"))
	fmt.Fprintf(w, "key IDs:        %d (the private keys that can open it)\n", len(st.KeyIDs))
	for _, id := range st.KeyIDs {
		fmt.Fprintf(w, "  %s\n", id)
	}
	return nil
}
