package posix

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
)

// Sweeping listing snapshots.
//
// Replacing or removing a head drops its directory's snapshot before and
// after the rename or unlink (listsnap_drop.go), but a crash on a
// filesystem that made the commit durable before the unlink would leave
// a snapshot that holds the old head: never used, since its stamp is
// gone, yet it keeps on the volume metadata its object no longer has (the
// header a rewrap took a recipient's wrapped key out of). Snapshots of
// directories since pruned stay too. So Sweep, which serve runs at
// start and hourly, removes every file in listing/ that is not a
// snapshot of its directory as the directory is now: one that does not
// decode, whose directory is gone, or whose stamp is not the directory's.
// A snapshot published for the current stamp while this runs either is
// read and kept, or is removed with the one it replaced: a cache miss.

// sweepSnapshots removes bucket's stale listing snapshots and returns how
// many it removed.
func (b *Backend) sweepSnapshots(bucket string) int {
	dir := b.listingDir(bucket)
	names, err := readNames(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, name := range names {
		file := filepath.Join(dir, name)
		if b.snapshotCurrent(bucket, file) {
			continue
		}
		if os.Remove(file) == nil {
			n++
		}
	}
	return n
}

// snapshotCurrent reports whether file is the snapshot of a directory of
// bucket's objects/ for the directory's present stamp, at the path that
// directory's snapshot has.
func (b *Backend) snapshotCurrent(bucket, file string) bool {
	rel, ok := snapshotDir(file)
	if !ok || b.snapPath(bucket, rel) != file {
		return false
	}
	path := b.objectsDir(bucket)
	if rel != "." {
		path += "/" + rel
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	_, _, err = b.openSnapshot(bucket, path, stampOf(fi))
	return err == nil
}

// snapshotDir returns the directory (relative to objects/) that the
// snapshot in file says it describes, if its footer is intact.
func snapshotDir(file string) (string, bool) {
	data, err := os.ReadFile(file)
	if err != nil || len(data) < snapTailSize {
		return "", false
	}
	tail := data[len(data)-snapTailSize:]
	off := binary.BigEndian.Uint64(tail)
	n := uint64(binary.BigEndian.Uint32(tail[8:]))
	if string(tail[12:]) != snapTailMagic || n < 4 || off > uint64(len(data)) || n != uint64(len(data)-snapTailSize)-off {
		return "", false
	}
	foot := data[off : off+n]
	if crc32.Checksum(foot[:n-4], castagnoli) != binary.BigEndian.Uint32(foot[n-4:]) {
		return "", false
	}
	d := snapDec{b: foot[:n-4]}
	if string(d.bytes(len(snapMagic))) != snapMagic || d.uvarint() != snapVersion {
		return "", false
	}
	d.bytes(8)
	for range 4 {
		d.varint()
	}
	rel := d.str()
	return rel, d.err == nil
}
