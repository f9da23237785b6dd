package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"envelopegw/backend/posix"
	"envelopegw/gateway"
	"envelopegw/s3api"
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
	obj, err := svc.GetObject(context.Background(), bucket, key)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	defer obj.Close()
	info := obj.Info()
	fmt.Fprintf(w, "object:         %s/%s\n", bucket, key)
	fmt.Fprintf(w, "size:           %d\n", info.Size)
	fmt.Fprintf(w, "etag:           %s\n", info.ETag)
	fmt.Fprintf(w, "last modified:  %s\n", info.LastModified.UTC().Format("2006-01-02T15:04:05Z"))
	var ids []string
	if k, ok := obj.(s3api.KeyIDReporter); ok {
		ids = k.KeyIDs()
	}
	fmt.Fprintf(w, "key IDs:        %d (the private keys that can open it)\n", len(ids))
	for _, id := range ids {
		fmt.Fprintf(w, "  %s\n", id)
	}
	return nil
}
