package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"envelopegw/backend"
)

// Run runs the contract suite. newBackend is called once per subtest and
// must return a new, empty store.
func Run(t *testing.T, newBackend func(t *testing.T) backend.Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, backend.Backend)
	}{
		{"Buckets", testBuckets},
		{"BucketNames", testBucketNames},
		{"DeleteBucket", testDeleteBucket},
		{"CreateBucketRace", testCreateBucketRace},
		{"ObjectRoundTrip", testObjectRoundTrip},
		{"ReadAt", testReadAt},
		{"MissingObjects", testMissingObjects},
		{"InvalidKeys", testInvalidKeys},
		{"SpecialKeys", testSpecialKeys},
		{"Meta", testMeta},
		{"MetaLimit", testMetaLimit},
		{"SetMeta", testSetMeta},
		{"Replace", testReplace},
		{"WriterLifecycle", testWriterLifecycle},
		{"UncommittedInvisible", testUncommittedInvisible},
		{"AtomicReplaceUnderReaders", testAtomicReplace},
		{"ListBasic", testListBasic},
		{"ListPagination", testListPagination},
		{"ListRandomKeys", testListRandomKeys},
		{"ListDefaults", testListDefaults},
		{"Multipart", testMultipart},
		{"MultipartResend", testMultipartResend},
		{"MultipartConcurrentParts", testMultipartConcurrent},
		{"MultipartSubsetAndOrder", testMultipartSubset},
		{"MultipartAbort", testMultipartAbort},
		{"MultipartErrors", testMultipartErrors},
		{"MultipartReplacesObject", testMultipartReplaces},
		{"ListUploads", testListUploads},
		{"ListPartsUnderResends", testListPartsUnderResends},
		{"ListUploadsUnderChanges", testListUploadsUnderChanges},
		{"Versions", testVersions},
		{"CondWrites", testCondWrites},
		{"CondComplete", testCondComplete},
		{"CondRace", testCondRace},
		{"DeleteBucketWithUploads", testDeleteBucketUploads},
		{"DeleteBucketRacesParts", testDeleteBucketRace},
		{"Copy", testCopy},
		{"CopyMultipart", testCopyMultipart},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBackend(t))
		})
	}
}

var ctx = context.Background()

// mkBucket creates a bucket or fails the test.
func mkBucket(t *testing.T, b backend.Backend, name string) {
	t.Helper()
	if err := b.CreateBucket(ctx, name); err != nil {
		t.Fatalf("CreateBucket(%q): %v", name, err)
	}
}

// put writes and commits an object.
func put(t *testing.T, b backend.Backend, bucket, key string, data []byte, meta backend.Meta) {
	t.Helper()
	w, err := b.NewObject(ctx, bucket, key)
	if err != nil {
		t.Fatalf("NewObject(%q, %q): %v", bucket, key, err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write %q: %v", key, err)
	}
	ci, err := w.Commit(meta)
	if err != nil {
		t.Fatalf("Commit %q: %v", key, err)
	}
	st, err := b.Stat(ctx, bucket, key)
	if err != nil {
		t.Fatalf("Stat %q after Commit: %v", key, err)
	}
	sameInfo(t, "Commit", ci, st)
}

// commitErr commits w and returns only the error.
func commitErr(w backend.Writer, meta backend.Meta) error {
	_, err := w.Commit(meta)
	return err
}

// sameInfo fails the test unless what a change returned (got) is the
// object that a Stat right after it found (st).
func sameInfo(t *testing.T, what string, got, st backend.ObjectInfo) {
	t.Helper()
	if got.Key != st.Key || got.Version != st.Version || got.Size != st.Size || !got.ModTime.Equal(st.ModTime) || !metaEqual(got.Meta, st.Meta) {
		t.Fatalf("%s returned %+v; a Stat right after it found %+v", what, got, st)
	}
}

// get opens an object and reads all of it with ReadAt.
func get(t *testing.T, b backend.Backend, bucket, key string) ([]byte, backend.ObjectInfo) {
	t.Helper()
	data, info, err := tryGet(b, bucket, key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	return data, info
}

func tryGet(b backend.Backend, bucket, key string) ([]byte, backend.ObjectInfo, error) {
	o, err := b.Open(ctx, bucket, key)
	if err != nil {
		return nil, backend.ObjectInfo{}, err
	}
	defer o.Close()
	info := o.Info()
	buf := make([]byte, info.Size)
	n, err := o.ReadAt(buf, 0)
	if err == io.EOF && int64(n) == info.Size {
		err = nil
	}
	if err != nil {
		return nil, info, err
	}
	if int64(n) != info.Size {
		return nil, info, fmt.Errorf("read %d of %d bytes", n, info.Size)
	}
	return buf, info, nil
}

func mustGet(t *testing.T, b backend.Backend, bucket, key string, want []byte) backend.ObjectInfo {
	t.Helper()
	got, info := get(t, b, bucket, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("%q: got %d bytes %.40q, want %d bytes %.40q", key, len(got), got, len(want), want)
	}
	if info.Size != int64(len(want)) {
		t.Fatalf("%q: Info().Size = %d, want %d", key, info.Size, len(want))
	}
	return info
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// pattern returns n bytes that differ for different seeds and offsets, so
// that a misplaced or mixed range shows.
func pattern(seed byte, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func metaEqual(a, b backend.Meta) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
