package main

import (
	"context"
	"flag"
	"os"

	"envelopegw/backend"
	"envelopegw/backend/posix"
)

// storeFlags choose the store an offline command (cat, scrub, fsck, ...)
// reads: a POSIX data directory (--data DIR) or, where the command
// supports it, an upstream S3 bucket (--upstream URL, credentials from the
// environment as for serve). Every offline command opens its store
// through open, so they all accept the same flags and fail the same way.
type storeFlags struct {
	data string
	up   upstreamConfig
}

// addStoreFlags adds --data and, with upstream, the --upstream flags.
func addStoreFlags(fs *flag.FlagSet, s *storeFlags, upstream bool) {
	fs.StringVar(&s.data, "data", "./data", "data `directory` of the gateway")
	if upstream {
		addUpstreamFlags(fs, &s.up)
	}
}

// upstream reports whether the store is an upstream S3 bucket.
func (s *storeFlags) upstream() bool { return s.up.url != "" }

// open opens the store. readOnly opens a data directory read-only (an
// upstream is opened with the credentials given; a read-only command
// only reads through it).
func (s *storeFlags) open(ctx context.Context, readOnly bool) (backend.Backend, error) {
	if s.upstream() {
		s.up.fromEnv(os.Getenv)
		if err := s.up.check(); err != nil {
			return nil, err
		}
		return s.up.dial(ctx)
	}
	// The offline commands check or enumerate the store itself: they
	// list from the heads, never from listing snapshots (a cache).
	return posix.New(s.data, posix.Options{ReadOnly: readOnly, NoListSnapshots: true})
}
