package gateway

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"envelopegw/backend"
	"envelopegw/inventory"
	"envelopegw/s3api"
)

type recordingLog struct {
	mu      sync.Mutex
	entries []inventory.Entry
	fail    bool
}

func (r *recordingLog) Append(_ context.Context, e inventory.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("disk on fire")
	}
	r.entries = append(r.entries, e)
	return nil
}

// Every committed change is logged as an intent then an entry naming the
// record that is on the volume; a change whose intent cannot be logged is
// refused with 503 and changes nothing.
func TestInventoryLogsEveryChange(t *testing.T) {
	e := newEnv(t)
	log := &recordingLog{}
	s := e.service(func(c *Config) { c.Inventory = log })
	mustBucket(t, s, "b")
	ctx := context.Background()
	put(t, s, "b", "k", []byte("hello"))
	if err := s.PutObjectTagging(ctx, "b", "k", []s3api.Tag{{Key: "a", Value: "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "b", SrcKey: "k", DstBucket: "b", DstKey: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(ctx, "b", "k"); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind, key string
	}{{inventory.KindPut, "k"}, {inventory.KindSetMeta, "k"}, {inventory.KindPut, "c"}, {inventory.KindDelete, "k"}}
	if len(log.entries) != 2*len(want) {
		t.Fatalf("%d entries: %+v", len(log.entries), log.entries)
	}
	for i, w := range want {
		intent, entry := log.entries[2*i], log.entries[2*i+1]
		if !intent.Pending || entry.Pending || entry.Kind != w.kind || entry.Key != w.key || intent.RecordHash != entry.RecordHash {
			t.Errorf("change %d: intent %+v, entry %+v, want %s %s", i, intent, entry, w.kind, w.key)
		}
	}
	bi, err := s.be.Stat(ctx, "b", "c")
	if err != nil {
		t.Fatal(err)
	}
	if got := log.entries[5]; got.RecordHash != RecordHash(bi.Meta) || got.WriteID == "" || got.Size != 5 || got.Stored != bi.Size {
		t.Errorf("copy's entry %+v does not name the stored record (stored %d)", got, bi.Size)
	}

	log.fail = true
	_, err = s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "b", Key: "refused", Body: newBody([]byte("x")), Size: 1})
	if !errors.Is(err, backend.ErrUnavailable) && !errors.Is(err, s3api.ErrServiceUnavailable) {
		t.Errorf("a PUT whose intent cannot be logged: %v, want 503", err)
	}
	if _, err := s.be.Stat(ctx, "b", "refused"); !errors.Is(err, backend.ErrNoSuchKey) {
		t.Errorf("the refused PUT left an object: %v", err)
	}
}

// loggedBackend embeds the backend, so a method added to backend.Backend
// passes through it unlogged (Copy did). This list makes whoever adds
// one decide: log it in inventory.go if it changes an object.
func TestInventoryWrapperKnowsEveryBackendMethod(t *testing.T) {
	known := map[string]bool{
		// read-only, or about buckets and uploads, not objects
		"CreateBucket": true, "DeleteBucket": true, "HeadBucket": true, "ListBuckets": true,
		"Open": true, "Stat": true, "List": true, "CreateUpload": true, "StatUpload": true,
		"NewPart": true, "ListParts": true, "AbortUpload": true, "ListUploads": true,
		// logged by loggedBackend
		"NewObject": true, "SetMeta": true, "Delete": true, "CompleteUpload": true, "Copy": true,
	}
	bt := reflect.TypeOf((*backend.Backend)(nil)).Elem()
	for i := range bt.NumMethod() {
		if m := bt.Method(i).Name; !known[m] {
			t.Errorf("backend.Backend has %s, which the inventory wrapper does not know: log it in gateway/inventory.go if it changes an object, then list it here", m)
		}
	}
}
