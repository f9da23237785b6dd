package envelope

import (
	"bytes"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
)

// object is a multipart envelope as the gateway keeps it: header, part
// bodies and sealed table, plus the plaintext for comparison.
type object struct {
	h      *Header
	k      *Key
	bodies map[int][]byte
	infos  map[int]PartInfo
	plain  map[int][]byte
}

func newObject(t testing.TB, seg int) *object {
	t.Helper()
	h, k, err := NewHeader([]Recipient{testIdentities()[TypeX25519].Recipient()}, &Options{SegmentSize: seg})
	if err != nil {
		t.Fatal(err)
	}
	return &object{h: h, k: k, bodies: map[int][]byte{}, infos: map[int]PartInfo{}, plain: map[int][]byte{}}
}

func (o *object) put(t testing.TB, number int, pt []byte) {
	t.Helper()
	var buf bytes.Buffer
	pw, err := o.k.NewPartWriter(&buf, number)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Write(pt); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != CiphertextSize(int64(len(pt)), o.k.segmentSize) {
		t.Fatalf("part %d: body %d bytes, CiphertextSize says %d", number, buf.Len(), CiphertextSize(int64(len(pt)), o.k.segmentSize))
	}
	o.bodies[number], o.infos[number], o.plain[number] = buf.Bytes(), pw.Info(), pt
}

// complete returns the table, the concatenated bodies and plaintext of the
// given part numbers.
func (o *object) complete(t testing.TB, numbers ...int) ([]byte, []byte, []byte) {
	t.Helper()
	var infos []PartInfo
	var body, plain []byte
	for _, n := range numbers {
		infos = append(infos, o.infos[n])
		body = append(body, o.bodies[n]...)
		plain = append(plain, o.plain[n]...)
	}
	tb, err := o.k.SealTable(infos)
	if err != nil {
		t.Fatal(err)
	}
	return tb, body, plain
}

func (o *object) file(t testing.TB, numbers ...int) ([]byte, []byte) {
	tb, body, plain := o.complete(t, numbers...)
	hb, err := o.h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	f := append(append(hb, body...), tb...)
	return appendFooter(f, len(tb)), plain
}

func readRange(k *Key, body []byte, tb []byte, off, n int64) ([]byte, error) {
	t, err := k.OpenTable(tb)
	if err != nil {
		return nil, err
	}
	r, err := k.NewRangeReader(bytes.NewReader(body), t, off, n)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func TestMultipartRanges(t *testing.T) {
	const seg = 256
	o := newObject(t, seg)
	sizes := map[int]int{1: 5 * seg, 2: 3*seg + 17, 4: 0, 5: 1, 7: seg - 1, 9: 40*seg + 100}
	for n, s := range sizes {
		o.put(t, n, randomBytes(t, s))
	}
	tb, body, plain := o.complete(t, 1, 2, 4, 5, 7, 9)
	got, err := readRange(o.k, body, tb, 0, int64(len(plain)))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("whole object: err %v, equal %v", err, bytes.Equal(got, plain))
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		off := rng.Int64N(int64(len(plain)) + 1)
		n := rng.Int64N(int64(len(plain)) - off + 1)
		if i%3 == 0 { // short ranges around segment boundaries
			off = min(int64(rng.IntN(len(plain)/seg+1)*seg)+int64(rng.IntN(5))-2, int64(len(plain)))
			off = max(off, 0)
			n = min(int64(rng.IntN(2*seg)), int64(len(plain))-off)
		}
		got, err := readRange(o.k, body, tb, off, n)
		if err != nil {
			t.Fatalf("range %d+%d: %v", off, n, err)
		}
		if !bytes.Equal(got, plain[off:off+n]) {
			t.Fatalf("range %d+%d: wrong plaintext", off, n)
		}
	}
	if _, err := readRange(o.k, body, tb, int64(len(plain)), 1); err == nil {
		t.Fatal("range past the end accepted")
	}
	// The whole object as a single file, both readers (the sequential one
	// cannot know part numbers 2, 4, ... and must fail cleanly).
	f, plain := o.file(t, 1, 2, 4, 5, 7, 9)
	rc, _, err := DecryptReaderAt(bytes.NewReader(f), int64(len(f)), testIdentities()[TypeX25519])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("DecryptReaderAt: %v", err)
	}
	r, err := Decrypt(bytes.NewReader(f), testIdentities()[TypeX25519])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrAuth) {
		t.Fatalf("sequential decrypt of gapped parts: %v, want ErrAuth", err)
	}
}

func TestSequentialMultipart(t *testing.T) {
	const seg = 256
	o := newObject(t, seg)
	o.put(t, 1, randomBytes(t, 4*seg))
	o.put(t, 2, randomBytes(t, seg))
	o.put(t, 3, randomBytes(t, 2*seg+5))
	f, plain := o.file(t, 1, 2, 3)
	seq, ra, err1, err2 := decryptBoth(f, testIdentities()[TypeX25519])
	if err1 != nil || err2 != nil || !bytes.Equal(seq, plain) || !bytes.Equal(ra, plain) {
		t.Fatalf("sequential %v, readerat %v", err1, err2)
	}
}

// Every way of assembling an object from the wrong parts must fail.
func TestPartTampering(t *testing.T) {
	const seg = 256
	o := newObject(t, seg)
	o.put(t, 1, randomBytes(t, 3*seg))
	o.put(t, 2, randomBytes(t, 2*seg+1))
	o.put(t, 3, randomBytes(t, 10))
	tb, _, _ := o.complete(t, 1, 2, 3)
	b1, b2, b3 := o.bodies[1], o.bodies[2], o.bodies[3]
	old2 := o.bodies[2]
	o.put(t, 2, o.plain[2]) // re-sent part 2: same bytes, new salt
	new2 := o.bodies[2]
	tbNew, _, _ := o.complete(t, 1, 2, 3)
	other := newObject(t, seg)
	other.put(t, 2, o.plain[2])
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	cases := map[string]struct{ tb, body []byte }{
		"dropped part":        {tb, cat(b1, b3)},
		"duplicated part":     {tb, cat(b1, b2, b2, b3)},
		"reordered parts":     {tb, cat(b2, b1, b3)},
		"older part version":  {tbNew, cat(b1, old2, b3)},
		"newer part version":  {tb, cat(b1, new2, b3)},
		"spliced from object": {tb, cat(b1, other.bodies[2], b3)},
		"truncated":           {tb, cat(b1, b2, b3[:len(b3)-1])},
		"extended":            {tb, cat(b1, b2, b3, []byte{0})},
		"part cut short":      {tb, cat(b1, b2[:len(b2)-seg-16], b3)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			tbl, err := o.k.OpenTable(c.tb)
			if err != nil {
				t.Fatal(err)
			}
			r, err := o.k.NewRangeReader(bytes.NewReader(c.body), tbl, 0, tbl.Size())
			if err == nil {
				_, err = io.ReadAll(r)
			}
			if !errors.Is(err, ErrAuth) {
				t.Fatalf("got %v, want ErrAuth", err)
			}
		})
	}
	// A table listing parts in another order, or with a changed entry,
	// cannot be forged without the key.
	bad := bytes.Clone(tb)
	bad[tableFixedSize+4] ^= 1
	if _, err := o.k.OpenTable(bad); !errors.Is(err, ErrAuth) {
		t.Fatalf("tampered table: %v", err)
	}
	if _, err := other.k.OpenTable(tb); !errors.Is(err, ErrAuth) {
		t.Fatalf("table of another object: %v", err)
	}
}

func TestSealTableRejects(t *testing.T) {
	o := newObject(t, 256)
	for name, parts := range map[string][]PartInfo{
		"decreasing": {{Number: 2}, {Number: 1}},
		"duplicate":  {{Number: 1}, {Number: 1}},
		"zero":       {{Number: 0}},
		"too large":  {{Number: MaxParts + 1}},
		"negative":   {{Number: 1, Size: -1}},
	} {
		if _, err := o.k.SealTable(parts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := o.k.NewPartWriter(io.Discard, 0); err == nil {
		t.Error("part number 0 accepted")
	}
}

func TestKeyExportImportRewrap(t *testing.T) {
	ids := testIdentities()
	o := newObject(t, 1024)
	o.put(t, 1, []byte("state survives requests"))
	hb, _ := o.h.MarshalBinary()
	h, err := ParseHeader(hb)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ImportKey(h, o.k.Export())
	if err != nil {
		t.Fatal(err)
	}
	tb, body, plain := o.complete(t, 1)
	if got, err := readRange(k, body, tb, 0, int64(len(plain))); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("imported key: %v", err)
	}
	wrong := o.k.Export()
	wrong[0] ^= 1
	if _, err := ImportKey(h, wrong); !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong key imported: %v", err)
	}
	// Rewrap: drop x25519, add mlkem and rsa; the old identity fails, new ones open.
	nh, err := k.Rewrap(h, []Recipient{ids[TypeMLKEM768X25519].Recipient(), ids["rsa"].Recipient()}, []string{ids[TypeX25519].KeyID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(nh.Stanzas()) != 2 {
		t.Fatalf("%d stanzas after rewrap", len(nh.Stanzas()))
	}
	if _, err := nh.Unwrap(ids[TypeX25519]); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("removed identity: %v", err)
	}
	for _, id := range []Identity{ids[TypeMLKEM768X25519], ids["rsa"]} {
		k2, err := nh.Unwrap(id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := readRange(k2, body, tb, 0, int64(len(plain))); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("after rewrap: %v", err)
		}
	}
	if _, err := k.Rewrap(nh, nil, []string{ids[TypeMLKEM768X25519].KeyID(), ids["rsa"].KeyID()}); err == nil {
		t.Fatal("rewrap to no recipients accepted")
	}
	other := newObject(t, 1024)
	if _, err := other.k.Rewrap(h, nil, nil); !errors.Is(err, ErrAuth) {
		t.Fatalf("rewrap with a foreign key: %v", err)
	}
}

// The same at the default segment size, with parts of S3-like sizes.
func TestMultipartRangesDefaultSegment(t *testing.T) {
	const seg = DefaultSegmentSize
	o := newObject(t, seg)
	o.put(t, 1, randomBytes(t, 5<<20))
	o.put(t, 2, randomBytes(t, 5<<20+1))
	o.put(t, 3, randomBytes(t, seg-1))
	tb, body, plain := o.complete(t, 1, 2, 3)
	rng := mrand.New(mrand.NewPCG(3, 4))
	boundaries := []int64{0, seg, 5 << 20, 5<<20 + seg, 10<<20 + 1, int64(len(plain))}
	for i := 0; i < 200; i++ {
		var off, n int64
		if i%2 == 0 {
			b := boundaries[rng.IntN(len(boundaries))]
			off = max(0, min(b+int64(rng.IntN(33))-16, int64(len(plain))))
			n = min(int64(rng.IntN(3*seg)), int64(len(plain))-off)
		} else {
			off = rng.Int64N(int64(len(plain)))
			n = rng.Int64N(int64(len(plain)) - off + 1)
		}
		got, err := readRange(o.k, body, tb, off, n)
		if err != nil || !bytes.Equal(got, plain[off:off+n]) {
			t.Fatalf("range %d+%d: %v", off, n, err)
		}
	}
}
