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

// CountMapped counts n stored bytes read through a mapping of DataFile.
func (o *countedObject) CountMapped(n int) {
	o.m.backendBytes.WithLabelValues("read").Add(float64(n))
}
