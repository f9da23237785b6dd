package posix

import (
	"testing"

	"envelopegw/backend"
	"envelopegw/backend/backendtest"
)

// TestContract runs the backend contract suite with fsync on, as
// production runs.
func TestContract(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backend.Backend {
		b, err := New(t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Close before TempDir's removal: a listing of a large, settled
		// directory (ListRandomKeys) starts a background snapshot build
		// that may still be writing under the root.
		t.Cleanup(func() { b.Close() })
		return b
	})
}
