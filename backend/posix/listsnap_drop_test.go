package posix

import (
	"bytes"
	"os"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestListSnapshotKeepsNoReplacedHead: once a head is replaced or removed
// (SetMeta, as Rewrap does to take a recipient's wrapped key away; an
// overwrite; Copy over it; Delete), no listing snapshot on the volume
// still holds the old head's metadata, and listings stay right.
func TestListSnapshotKeepsNoReplacedHead(t *testing.T) {
	root, b := snapFixture(t)
	changes := []struct {
		key string
		do  func(key string) error
	}{
		{"big/old-setmeta", func(key string) error {
			_, err := b.SetMeta(ctx, "bkt", key, backend.Meta{"hdr": "rewrapped"}, time.Time{})
			return err
		}},
		{"big/old-overwrite", func(key string) error {
			mustPut(t, b, "bkt", key, []byte("new"), backend.Meta{"hdr": "new"})
			return nil
		}},
		{"big/old-copy", func(key string) error {
			src, err := b.Stat(ctx, "bkt", "big/inline1")
			if err == nil {
				_, err = b.Copy(ctx, backend.CopySource{Bucket: "bkt", Key: "big/inline1", Version: src.Version}, "bkt", key, backend.Meta{"hdr": "copied"})
			}
			return err
		}},
		{"big/old-delete", func(key string) error { return b.Delete(ctx, "bkt", key) }},
	}
	old := func(key string) []byte { return []byte("OLD-HEADER-OF-" + key) }
	for _, c := range changes {
		mustPut(t, b, "bkt", c.key, []byte("old"), backend.Meta{"hdr": string(old(c.key))})
	}
	snap := b.snapPath("bkt", "dbig")
	for _, c := range changes {
		buildSnapshots(t, b)
		if data, err := os.ReadFile(snap); err != nil || !bytes.Contains(data, old(c.key)) {
			t.Fatalf("%s: the snapshot does not hold the head before the change (%v)", c.key, err)
		}
		if err := c.do(c.key); err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		if data, err := os.ReadFile(snap); err == nil && bytes.Contains(data, old(c.key)) {
			t.Fatalf("%s: after the head was replaced, the listing snapshot still holds its old metadata", c.key)
		} else if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		want := truth(t, root, "big/")
		sameListing(t, c.key+", cold", listAll(t, coldBackend(t, root, Options{ReadOnly: true}), "big/"), want)
		sameListing(t, c.key+", the writer", listAll(t, b, "big/"), want)
	}
}

// TestListSnapshotGoneAtCommit: when a replaced head's commit is made
// (the crash points right after a head's rename or unlink), its
// directory's snapshot is already gone, so a crash there leaves no
// snapshot holding the old head.
func TestListSnapshotGoneAtCommit(t *testing.T) {
	_, b := snapFixture(t)
	snap := b.snapPath("bkt", "dbig")
	for _, c := range []struct {
		point string
		do    func() error
	}{
		{"head-removed", func() error { return b.Delete(ctx, "bkt", "big/k00003") }},
		{"head-published", func() error {
			_, err := b.SetMeta(ctx, "bkt", "big/k00004", backend.Meta{"hdr": "rewrapped"}, time.Time{})
			return err
		}},
		{"head-published", func() error {
			mustPut(t, b, "bkt", "big/inline3", []byte("over"), nil)
			return nil
		}},
	} {
		buildSnapshots(t, b)
		var left []string
		testHook = func(p string) {
			if p == c.point {
				if _, err := os.Stat(snap); err == nil {
					left = append(left, p)
				}
			}
		}
		err := c.do()
		testHook = nil
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Fatalf("at %q the directory's snapshot with the old head was still there", c.point)
		}
	}
}
