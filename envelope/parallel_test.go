package envelope

import (
	"bytes"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
)

// The parallel reader returns exactly what the serial one does, for any
// range of a multipart object and any number of workers, through Read
// and WriteTo.
func TestParallelRanges(t *testing.T) {
	const seg = 256
	o := newObject(t, seg)
	for n, s := range map[int]int{1: 5 * seg, 2: 3*seg + 17, 4: 0, 5: 1, 7: seg - 1, 9: 40*seg + 100} {
		o.put(t, n, randomBytes(t, s))
	}
	tb, body, plain := o.complete(t, 1, 2, 4, 5, 7, 9)
	tab, err := o.k.OpenTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(3, 4))
	for i := 0; i < 1500; i++ {
		off, n := int64(0), int64(len(plain))
		if i > 0 {
			off = rng.Int64N(int64(len(plain)) + 1)
			n = rng.Int64N(int64(len(plain)) - off + 1)
		}
		workers := 2 + i%4
		r, err := o.k.NewParallelRangeReader(bytes.NewReader(body), tab, off, n, workers)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if i%2 == 0 {
			_, err = r.(io.WriterTo).WriteTo(&got)
		} else {
			_, err = io.CopyBuffer(&got, struct{ io.Reader }{r}, make([]byte, 1+rng.IntN(3*seg)))
		}
		r.Close()
		if err != nil || !bytes.Equal(got.Bytes(), plain[off:off+n]) {
			t.Fatalf("range %d+%d, %d workers: err %v, equal %v", off, n, workers, err, bytes.Equal(got.Bytes(), plain[off:off+n]))
		}
	}
}

// A bad segment anywhere in a batch, in any worker's run, stops output
// exactly before it: no byte of it or of the verified segments after it
// is released. Swapped segments (reordering within a batch) and a body
// cut after a full segment (its last flag is wrong) fail the same way.
func TestParallelStopsAtBadSegment(t *testing.T) {
	seg := DefaultSegmentSize
	segCT := seg + tagSize
	k, tab, body, plain := bigObject(t, 40*seg)
	kb := batchSegments(seg)
	cases := []struct {
		name  string
		first int // first segment that must fail
		spoil func(b []byte) []byte
	}{
		{"first of a batch", kb, func(b []byte) []byte { b[saltSize+kb*segCT+5] ^= 1; return b }},
		{"middle of a batch", kb + 9, func(b []byte) []byte { b[saltSize+(kb+9)*segCT+seg] ^= 1; return b }},
		{"two bad, the later in an earlier worker's run", kb + 1, func(b []byte) []byte {
			b[saltSize+(kb+12)*segCT] ^= 1
			b[saltSize+(kb+1)*segCT+seg+3] ^= 1
			return b
		}},
		{"swapped", 3, func(b []byte) []byte {
			s3, s4 := saltSize+3*segCT, saltSize+4*segCT
			tmp := append([]byte(nil), b[s3:s4]...)
			copy(b[s3:s4], b[s4:s4+segCT])
			copy(b[s4:s4+segCT], tmp)
			return b
		}},
	}
	for _, c := range cases {
		for _, workers := range []int{2, 3, 16} {
			for _, how := range []string{"Read", "WriteTo"} {
				b := c.spoil(append([]byte(nil), body...))
				r, err := k.NewParallelRangeReader(bytes.NewReader(b), tab, 0, tab.Size(), workers)
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if how == "Read" {
					_, err = io.CopyBuffer(&got, struct{ io.Reader }{r}, make([]byte, 1000))
				} else {
					_, err = r.(io.WriterTo).WriteTo(&got)
				}
				r.Close()
				if !errors.Is(err, ErrAuth) {
					t.Errorf("%s, %d workers, %s: err %v, want ErrAuth", c.name, workers, how, err)
				}
				if !bytes.Equal(got.Bytes(), plain[:c.first*seg]) {
					t.Errorf("%s, %d workers, %s: released %d bytes, want the %d before segment %d", c.name, workers, how, got.Len(), c.first*seg, c.first)
				}
			}
		}
	}
	// Truncated to whole segments: the table says more, so the size check
	// refuses before any byte; without a Size the read fails at the cut.
	cut := body[:saltSize+20*segCT]
	if _, err := k.NewParallelRangeReader(bytes.NewReader(cut), tab, 0, tab.Size(), 2); !errors.Is(err, ErrAuth) {
		t.Errorf("truncated body: %v, want ErrAuth", err)
	}
	r, err := k.NewParallelRangeReader(noSize{bytes.NewReader(cut)}, tab, 0, tab.Size(), 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if !errors.Is(err, ErrAuth) || !bytes.Equal(got, plain[:len(got)]) || len(got) > 20*seg {
		t.Errorf("truncated body without size: %d bytes, %v", len(got), err)
	}
}
