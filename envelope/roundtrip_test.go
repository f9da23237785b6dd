package envelope

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"testing/iotest"
)

// testIdentities caches one identity of each kind: RSA generation is slow.
var testIdentities = sync.OnceValue(func() map[string]Identity {
	m := map[string]Identity{}
	for _, kind := range []string{TypeMLKEM768X25519, TypeX25519, "rsa"} {
		id, err := GenerateIdentity(kind)
		if err != nil {
			panic(err)
		}
		m[kind] = id
	}
	return m
})

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func encryptBytes(t testing.TB, pt []byte, opts *Options, rs ...Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := Encrypt(&buf, rs, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Uneven writes exercise the straddling and direct-seal paths.
	for p := pt; len(p) > 0; {
		n := min(len(p), 1+len(p)%70001)
		if _, err := w.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decryptBoth(env []byte, ids ...Identity) ([]byte, []byte, error, error) {
	var seq, ra []byte
	r, err1 := Decrypt(bytes.NewReader(env), ids...)
	if err1 == nil {
		seq, err1 = io.ReadAll(r)
	}
	rc, _, err2 := DecryptReaderAt(bytes.NewReader(env), int64(len(env)), ids...)
	if err2 == nil {
		ra, err2 = io.ReadAll(rc)
		rc.Close()
	}
	return seq, ra, err1, err2
}

func TestRoundTripSizes(t *testing.T) {
	ids := testIdentities()
	seg := DefaultSegmentSize
	for _, n := range []int{0, 1, seg - 1, seg, seg + 1, 2 * seg, 3*seg + 7, 5<<20 + 3} {
		for kind, id := range ids {
			t.Run(fmt.Sprintf("%s/%d", kind, n), func(t *testing.T) {
				pt := randomBytes(t, n)
				env := encryptBytes(t, pt, nil, id.Recipient())
				seq, ra, err1, err2 := decryptBoth(env, id)
				if err1 != nil || err2 != nil {
					t.Fatalf("decrypt: sequential %v, readerat %v", err1, err2)
				}
				if !bytes.Equal(seq, pt) || !bytes.Equal(ra, pt) {
					t.Fatalf("plaintext mismatch")
				}
			})
		}
	}
}

func TestWrongIdentity(t *testing.T) {
	ids := testIdentities()
	env := encryptBytes(t, []byte("hello"), nil, ids[TypeX25519].Recipient())
	other, _ := GenerateIdentity(TypeX25519)
	_, _, err1, err2 := decryptBoth(env, other, ids["rsa"])
	if !errors.Is(err1, ErrNoIdentity) || !errors.Is(err2, ErrNoIdentity) {
		t.Fatalf("got %v / %v, want ErrNoIdentity", err1, err2)
	}
}

// Readers that return little at a time, or data with io.EOF, must not
// change the result.
func TestDecryptOddReaders(t *testing.T) {
	id := testIdentities()[TypeX25519]
	for _, n := range []int{0, 1, 255, 256, 257, 1000, 70000} {
		pt := randomBytes(t, n)
		env := encryptBytes(t, pt, &Options{SegmentSize: 256}, id.Recipient())
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"half":     iotest.HalfReader,
			"one byte": iotest.OneByteReader,
			"data+EOF": iotest.DataErrReader,
		} {
			r, err := Decrypt(wrap(bytes.NewReader(env)), id)
			if err != nil {
				t.Fatalf("%s %d: %v", name, n, err)
			}
			got, err := io.ReadAll(iotest.OneByteReader(r))
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%s %d: %v", name, n, err)
			}
		}
	}
}

// A ReaderAt without a Size method still detects a short body.
func TestRangeReaderShortBody(t *testing.T) {
	o := newObject(t, 256)
	o.put(t, 1, randomBytes(t, 1000))
	tb, body, _ := o.complete(t, 1)
	tbl, _ := o.k.OpenTable(tb)
	r, err := o.k.NewRangeReader(noSize{bytes.NewReader(body[:len(body)-1])}, tbl, 0, tbl.Size())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
}

type noSize struct{ r io.ReaderAt }

func (n noSize) ReadAt(p []byte, off int64) (int, error) { return n.r.ReadAt(p, off) }

type recordingWriter struct{ sizes []int }

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return len(p), nil
}

// Part bodies reach dst in writes of at least 1 MiB (all but the last),
// whatever the caller's write sizes, and streaming allocates nothing per
// segment.
func TestPartWriterLargeWritesNoAllocs(t *testing.T) {
	_, k, err := NewHeader([]Recipient{testIdentities()[TypeX25519].Recipient()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1000, 64 << 10, 1 << 20, 3<<20 + 1} {
		var rec recordingWriter
		pw, _ := k.NewPartWriter(&rec, 1)
		src := make([]byte, chunk)
		for total := 0; total < 10<<20; total += chunk {
			pw.Write(src)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		for i, n := range rec.sizes[:len(rec.sizes)-1] {
			if n < 1<<20 {
				t.Fatalf("chunk %d: write %d is %d bytes", chunk, i, n)
			}
		}
	}
	pw, _ := k.NewPartWriter(io.Discard, 1)
	src := make([]byte, 1<<20)
	pw.Write(src)
	if a := testing.AllocsPerRun(20, func() { pw.Write(src) }); a != 0 {
		t.Fatalf("%.1f allocations per 1 MiB write", a)
	}
	pw.Close()
}

func TestReadersNoAllocsPerSegment(t *testing.T) {
	o := newObject(t, DefaultSegmentSize)
	o.put(t, 1, make([]byte, 40<<20))
	tb, body, _ := o.complete(t, 1)
	tbl, _ := o.k.OpenTable(tb)
	r, err := o.k.NewRangeReader(bytes.NewReader(body), tbl, 0, tbl.Size())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	io.ReadFull(r, buf)
	if a := testing.AllocsPerRun(20, func() { io.ReadFull(r, buf) }); a != 0 {
		t.Fatalf("range reader: %.1f allocations per MiB", a)
	}
	f, _ := o.file(t, 1)
	h, _ := ReadHeader(bytes.NewReader(f))
	s := o.k.newStreamReader(bytes.NewReader(f[h.Size():]))
	io.ReadFull(s, buf)
	if a := testing.AllocsPerRun(20, func() { io.ReadFull(s, buf) }); a != 0 {
		t.Fatalf("stream reader: %.1f allocations per MiB", a)
	}
}
