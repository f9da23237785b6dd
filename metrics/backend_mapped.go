package metrics

import "os"

// DataFile passes through the stored object's file, when its bytes lie in
// one (see posix's DataFile), so that a reader can map it instead of
// copying through ReadAt; what it then reads from the mapping it reports
// with CountMapped, which counts it as ReadAt would.
func (o *countedObject) DataFile() (*os.File, int64, bool) {
	df, ok := o.Object.(interface {
		DataFile() (*os.File, int64, bool)
	})
	if !ok {
		return nil, 0, false
	}
	return df.DataFile()
}

// CountMapped counts n stored bytes read through a mapping of DataFile
// or ExtentFile.
func (o *countedObject) CountMapped(n int) {
	o.m.hot.bytesRead.Add(float64(n))
}

// ExtentFile passes through the stored object's files when its bytes lie
// in several (see posix's ExtentFile), for the same reason as DataFile.
func (o *countedObject) ExtentFile(off int64, fn func(f *os.File, fileOff, start, end int64)) bool {
	ef, ok := o.Object.(interface {
		ExtentFile(int64, func(*os.File, int64, int64, int64)) bool
	})
	return ok && ef.ExtentFile(off, fn)
}
