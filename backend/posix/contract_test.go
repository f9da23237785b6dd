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
		return b
	})
}
