// Package backendtest is the contract test suite for implementations of
// backend.Backend, in the manner of testing/fstest.TestFS: an
// implementation's own tests call Run with a constructor, and the suite
// checks every method against the semantics documented in package backend.
//
//	func TestContract(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) backend.Backend {
//			b, err := mystore.New(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return b
//		})
//	}
//
// newBackend must return an empty store, distinct from any other it
// returned; the subtests run in parallel, each on its own store, and
// create the buckets they need. Cleanup is the constructor's business
// (t.TempDir, t.Cleanup).
//
// The suite checks what a client can observe through the interface, and
// nothing of how a store keeps its bytes: bucket lifecycle and naming
// errors; object round trips of many sizes, io.ReaderAt semantics, metadata
// that is arbitrary bytes up to the 1 MiB limit; keys with every kind of
// awkward character, compared after a round trip and in listings against a
// reference implementation of prefix, delimiter, After and MaxKeys over
// hundreds of random keys; atomic replacement under concurrent readers
// (a reader may fail, never see a mix); writers that never commit or that
// abort; SetMeta and its ModTime precondition; multipart uploads with
// re-sent and concurrently uploaded parts, stale part versions, subsets
// of parts, abort, and ListUploads paging. Errors are checked with
// errors.Is against the backend sentinels.
//
// Store-specific properties (durability, crash safety, sharing one store
// between processes, not copying part data) are for the implementation's
// own tests; package posix has examples.
package backendtest
