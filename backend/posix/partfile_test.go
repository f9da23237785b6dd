package posix

import (
	"bytes"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestSweepSparesPartInFlight: a part file between its link into data/
// and its publication has two links and an inline header, like SetMeta's
// conversion cut short; Sweep must still take it for in flight, or the
// part record published next would name a removed file.
func TestSweepSparesPartInFlight(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	g := inFlightGrace
	inFlightGrace = 0
	defer func() { inFlightGrace = g }()
	id, err := b.CreateUpload(ctx, "bkt", "mp", nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.NewPart(ctx, "bkt", "mp", id, 1)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("part"), 1000)
	w.Write(data)
	p := w.(*writer).part
	publish := p.publish
	p.publish = func(src string, r *record) (bool, error) {
		time.Sleep(10 * time.Millisecond) // a link older than the grace
		if st, err := b.Sweep(ctx, 24*time.Hour); err != nil || st.Orphan != 0 {
			t.Errorf("Sweep of a part in flight = %+v, %v", st, err)
		}
		return publish(src, r)
	}
	info, err := w.Commit(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Published, it still has two links: Sweep leaves it to its record.
	if st, err := b.Sweep(ctx, 24*time.Hour); err != nil || st.Orphan != 0 {
		t.Fatalf("Sweep of a published part = %+v, %v", st, err)
	}
	if _, err := b.CompleteUpload(ctx, "bkt", "mp", id, []backend.PartRef{{Number: 1, ID: info.Version}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, b, "bkt", "mp"); !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, want the part's %d", len(got), len(data))
	}
}

// TestPartFileRecord: a part file holds its data at the inline offset and
// a part record naming the file itself; a record that claims other bytes
// is damaged.
func TestPartFileRecord(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	id, _ := b.CreateUpload(ctx, "bkt", "mp", nil)
	pid := mustPart(t, b, "bkt", "mp", id, 3, []byte("three"))
	r, err := readRecord(b.dataPath("bkt", pid), kindPart)
	if err != nil {
		t.Fatal(err)
	}
	if want := (extent{ID: pid, Size: 5, Off: inlineDataOff}); len(r.Extents) != 1 || r.Extents[0] != want {
		t.Fatalf("part record names %+v, want %+v", r.Extents, want)
	}
	for _, bad := range []*record{
		{Kind: kindPart, Extents: []extent{{ID: pid, Size: 4, Off: inlineDataOff}}},
		{Kind: kindPart, Extents: []extent{{ID: pid, Size: 5}}},
		{Kind: kindPart, Inline: 5, Extents: []extent{{ID: pid, Size: 5, Off: inlineDataOff}}},
		{Kind: kindPart},
	} {
		if _, err := decodeHeadBytes(bad.marshal(), "p", kindPart, true, 5); !damaged(err) {
			t.Errorf("part record %+v in a 5-byte part file: %v, want damaged", bad, err)
		}
	}
}
