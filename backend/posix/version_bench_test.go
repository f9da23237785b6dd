package posix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"envelopegw/backend"
)

// benchHead is a head as the gateway writes one for a PUT: one extent and
// about 1.5 KB of metadata (envelope header, sealed table, S3 attributes).
func benchHead() []byte {
	r := &record{Kind: kindHead, Key: "backups/2026-12-07/full/ibdata1.xbstream", Time: time.Now(),
		Extents: []extent{{ID: newID(), Size: 5 << 20}},
		Meta:    backend.Meta{"h": strings.Repeat("x", 1200), "t": strings.Repeat("y", 200), "e": strings.Repeat("0", 32), "s": "5242880"}}
	return r.marshal()
}

// BenchmarkVersionOf is the cost every head read pays for its version
// token; compare BenchmarkReadHead, one head read without it.
func BenchmarkVersionOf(b *testing.B) {
	enc := benchHead()
	t := time.Now()
	for b.Loop() {
		versionOf(enc, t)
	}
}

// BenchmarkReadHead reads and decodes one head file (page cache warm), as
// List and Stat do per key.
func BenchmarkReadHead(b *testing.B) {
	p := filepath.Join(b.TempDir(), "head")
	if err := os.WriteFile(p, benchHead(), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := readRecord(p, kindHead); err != nil {
			b.Fatal(err)
		}
	}
}
