package posix

import (
	"bytes"
	"os"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestSweepSparesPartInFlight: a part file between its link into data/
// and its publication has two links and an inline header, like SetMeta's
// conversion cut short; Sweep must still take it for in flight, or the
// part record published next would name a removed file.
func TestSweepSparesPartInFlight(t *testing.T) {
	sweepPartInFlight(t, func(b *Backend, path string, n int) {
		if st, err := b.Sweep(ctx, 24*time.Hour); err != nil || st.Orphan != 0 {
			t.Errorf("Sweep of a part in flight = %+v, %v", st, err)
		}
	})
}

// sweepPartInFlight commits one part of an upload, calls during between
// the part file's link into data/ (path, n data bytes) and the part
// record's publication, then checks that a Sweep leaves the published
// part alone and that the completed object reads back whole.
func sweepPartInFlight(t *testing.T, during func(b *Backend, path string, n int)) {
	t.Helper()
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
		during(b, b.dataPath("bkt", r.Extents[0].ID), len(data))
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

// TestSweepKeepsUnreadablePartFile: a part file in flight whose record
// cannot be read at the moment Sweep looks (here one flipped byte; in life
// a failed open or read) is not taken for a head's second link: only a
// file that positively holds an inline head is.
func TestSweepKeepsUnreadablePartFile(t *testing.T) {
	sweepPartInFlight(t, func(b *Backend, path string, n int) {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		at := inlineDataOff + int64(n) + 2 // inside the record
		one := make([]byte, 1)
		f.ReadAt(one, at)
		f.WriteAt([]byte{one[0] ^ 0xff}, at)
		if st, err := b.Sweep(ctx, 24*time.Hour); err != nil || st.Orphan != 0 {
			t.Errorf("Sweep of a part whose record it cannot read = %+v, %v", st, err)
		}
		f.WriteAt(one, at)
	})
}
