package posix

import (
	"os"
	"sort"
)

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

// ExtentFile runs fn with the open data file that holds the object's
// byte off, the extent [start, end) of the object's bytes that file
// holds, and the file offset of byte start; ok is false when off lies
// outside the object or its file cannot be opened. It is DataFile for
// an object of several data files (a multipart upload's parts): a reader
// maps one part's file at a time. The file is held open only while fn
// runs; fn duplicates its descriptor to keep using it.
func (o *object) ExtentFile(off int64, fn func(f *os.File, fileOff, start, end int64)) bool {
	if off < 0 || len(o.ends) == 0 || off >= o.ends[len(o.ends)-1] {
		return false
	}
	i := sort.Search(len(o.ends), func(i int) bool { return o.ends[i] > off })
	f, err := o.acquire(i)
	if err != nil {
		return false
	}
	defer o.release(f)
	fn(f, o.exts[i].Off, o.ends[i]-o.exts[i].Size, o.ends[i])
	return true
}
