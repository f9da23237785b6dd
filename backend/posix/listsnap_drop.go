package posix

import (
	"os"
	"path/filepath"
)

// Dropping listing snapshots.
//
// A snapshot written for a stamp that has since moved is never used, but
// it still holds the heads of its directory as they were: the metadata
// of every object replaced or deleted since, among them the envelope
// header a rewrap (SetMeta) takes out of the object so that a removed
// recipient can no longer open it. So whoever replaces or removes a head
// removes its directory's snapshot (dropSnapshot), only when a head is
// replaced or removed, never for a new key: an unlink, which finds
// nothing in a directory with no snapshot. Twice: before the head's
// rename or unlink, so that a crash right after the commit leaves no
// snapshot (the unlink reaches the journal no later than the commit that
// the directory's fsync makes durable), and after it, for a snapshot a
// builder published in between. A builder that published a snapshot
// checks the directory's stamp once more afterwards and removes what it
// published if the stamp moved (buildSnapshot): a head replaced before
// that check is caught by it, one replaced after it drops the published
// snapshot itself, so no old head outlives its replacement in a
// snapshot.
// Sweep removes whatever snapshot is still not current for its
// directory (a filesystem that reorders the unlink after the commit, the
// snapshots of pruned directories; listsnap_sweep.go).

// dropSnapshot removes the listing snapshot of the directory holding
// head, a head of bucket just replaced or removed. Errors are ignored: a
// snapshot that stays is never used for the directory as it is now.
func (b *Backend) dropSnapshot(bucket, head string) {
	if b.writer == "" {
		return
	}
	if rel, ok := b.relOfDir(bucket, filepath.Dir(head)); ok {
		_ = os.Remove(b.snapPath(bucket, rel))
	}
}
