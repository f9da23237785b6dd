package posix

import (
	"bytes"
	"os"

	"golang.org/x/sys/unix"
)

// Scrubbing the records left behind inline data.
//
// An inline head holds its object's data and, after it, the head record:
// the object's metadata, and so the gateway's envelope header with the
// data key wrapped to each recipient. SetMeta (a rewrap, a tagging) turns
// the inline file into a data file by a hard link, and Copy (also a
// versioned write keeping the current version) links it as the copy's
// data; once the inline head is replaced or removed the file lives on in
// data/ with the old record still after the data. A rewrap that took a
// recipient out would leave that recipient's wrapped key beside the
// unchanged ciphertext.
//
// Sweep zeroes that tail (punches a hole; writes zeros where the
// filesystem cannot) in every settled data file with a single link, the
// one in data/, that starts with an inline header: no head is that file
// any more, and readers of the data never read past it. Not at the
// commit: a reader that opened the old head just before would read a
// zeroed record and take it for damage. So the old record stays until
// the next Sweep (serve runs one at start and hourly).

// scrubInlineTails zeroes the old records in bucket's candidate data files
// (orphanCandidates) that have one link, and returns how many it zeroed.
func (b *Backend) scrubInlineTails(bucket string, cands map[string]int64) int {
	n := 0
	for id := range cands {
		if scrubInlineTail(b.dataPath(bucket, id)) {
			n++
		}
	}
	return n
}

// scrubInlineTail zeroes what follows the data in path, a data file that
// began as an inline head, if path is its only link and that tail still
// holds something. Errors leave the file as it is.
func scrubInlineTail(path string) bool {
	f, err := openFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || st.Nlink != 1 || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	hdr := make([]byte, inlineHeaderSize)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return false
	}
	n, ok, err := parseInlineHeader(hdr)
	if !ok || err != nil {
		return false
	}
	off := inlineDataOff + n
	if st.Size <= off {
		return false
	}
	// A scrubbed tail reads as zeros: nothing to do (Sweep meets it again).
	probe := make([]byte, min(st.Size-off, 64))
	if _, err := f.ReadAt(probe, off); err != nil || bytes.Count(probe, []byte{0}) == len(probe) {
		return false
	}
	fd := int(f.Fd())
	if unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, st.Size-off) != nil {
		if _, err := f.WriteAt(make([]byte, st.Size-off), off); err != nil {
			return false
		}
	}
	return unix.Fdatasync(fd) == nil
}
