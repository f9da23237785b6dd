package posix

import "os"

// DataFile returns the open file that holds all of the object's bytes and
// the offset at which they start in it, when one file holds them all (a
// single PUT's object, inline in its head or in one data file); ok is
// false for an object of several data files. It lets a reader map
// the bytes instead of copying them through ReadAt (the envelope's range
// reader does, for GET). The file stays the object's: the caller must not
// close it, and must stop using it at Close (a mapping made from a
// duplicate of its descriptor stays valid: stored files are replaced by
// rename, never rewritten or truncated in place).
func (o *object) DataFile() (f *os.File, off int64, ok bool) {
	if len(o.exts) != 1 {
		return nil, 0, false
	}
	f, err := o.acquire(0)
	if err != nil {
		return nil, 0, false
	}
	// A single extent is never evicted before Close (maxOpenExtents).
	o.release(f)
	return f, o.exts[0].Off, true
}
