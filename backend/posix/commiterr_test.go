package posix

import "envelopegw/backend"

// commitErr commits w and returns only the error.
func commitErr(w backend.Writer, meta backend.Meta) error {
	_, err := w.Commit(meta)
	return err
}
