package posix

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestSweepScrubsReplacedInlineRecords: after SetMeta (a rewrap) of an
// inline object, and after a copy linked an inline object's file and the
// source was then overwritten, no file on the volume holds the replaced
// records' metadata once Sweep ran; the objects read as before.
func TestSweepScrubsReplacedInlineRecords(t *testing.T) {
	defer func(g time.Duration) { inFlightGrace = g }(inFlightGrace)
	inFlightGrace = 0
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	data := bytes.Repeat([]byte("ciphertext"), 1000)

	mustPut(t, b, "bkt", "rewrapped", data, backend.Meta{"hdr": "OLD-HEADER-REWRAPPED"})
	if _, err := b.SetMeta(ctx, "bkt", "rewrapped", backend.Meta{"hdr": "new"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, b, "bkt", "src", data, backend.Meta{"hdr": "OLD-HEADER-COPIED"})
	src, err := b.Stat(ctx, "bkt", "src")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Copy(ctx, backend.CopySource{Bucket: "bkt", Key: "src", Version: src.Version}, "bkt", "copy", backend.Meta{"hdr": "copy"}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, b, "bkt", "src", []byte("new"), backend.Meta{"hdr": "new"})
	// A live inline head shared with a copy keeps its record.
	mustPut(t, b, "bkt", "live", data, backend.Meta{"hdr": "LIVE-HEADER"})
	live, _ := b.Stat(ctx, "bkt", "live")
	if _, err := b.Copy(ctx, backend.CopySource{Bucket: "bkt", Key: "live", Version: live.Version}, "bkt", "live-copy", backend.Meta{"hdr": "copy"}); err != nil {
		t.Fatal(err)
	}

	if _, err := b.Sweep(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, old := range []string{"OLD-HEADER-REWRAPPED", "OLD-HEADER-COPIED"} {
		filepath.WalkDir(b.Root(), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			if got, err := os.ReadFile(p); err == nil && bytes.Contains(got, []byte(old)) {
				t.Errorf("%s still holds %s after Sweep", p, old)
			}
			return nil
		})
	}
	for _, key := range []string{"rewrapped", "copy", "live", "live-copy"} {
		if got := mustRead(t, b, "bkt", key); !bytes.Equal(got, data) {
			t.Fatalf("%s reads %d bytes, not the data", key, len(got))
		}
	}
	if info, err := b.Stat(ctx, "bkt", "live"); err != nil || info.Meta["hdr"] != "LIVE-HEADER" {
		t.Fatalf("live inline head after Sweep: %+v, %v", info, err)
	}
	rep, err := b.Check(ctx, false)
	if err != nil || len(rep.Damaged) != 0 {
		t.Fatalf("check after Sweep: %+v, %v", rep, err)
	}
}
