package envelope

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// mustFail decrypts env through both readers and fails the test if either
// returns the full plaintext without an error.
func mustFail(t *testing.T, what string, env []byte, id Identity) {
	t.Helper()
	r, err := Decrypt(bytes.NewReader(env), id)
	if err == nil {
		_, err = io.ReadAll(r)
	}
	if err == nil {
		t.Fatalf("%s: sequential decrypt succeeded", what)
	}
	if !errors.Is(err, ErrAuth) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("%s: sequential decrypt: unexpected error kind: %v", what, err)
	}
	rc, _, err := DecryptReaderAt(bytes.NewReader(env), int64(len(env)), id)
	if err == nil {
		_, err = io.ReadAll(rc)
	}
	if err == nil {
		t.Fatalf("%s: ReaderAt decrypt succeeded", what)
	}
}

// regions names the byte ranges of a single-part single-file envelope.
func regions(t *testing.T, env []byte, seg int) map[string][2]int {
	h, err := ReadHeader(bytes.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	hs := h.Size()
	st := h.stanzas[0]
	stStart := headerFixedSize
	l, err := ReadFileLayout(bytes.NewReader(env), int64(len(env)))
	if err != nil {
		t.Fatal(err)
	}
	to := int(l.TableOffset)
	segCT := seg + tagSize
	body := hs + saltSize
	return map[string][2]int{
		"magic":            {0, 6},
		"version+suite":    {6, 8},
		"segment size":     {8, 12},
		"header salt":      {12, 28},
		"stanza count":     {28, 29},
		"stanza type":      {stStart, stStart + 1 + len(st.Type)},
		"stanza key ID":    {stStart + 1 + len(st.Type), stStart + 1 + len(st.Type) + keyIDSize},
		"wrapped key":      {stStart + 1 + len(st.Type) + keyIDSize, hs - 64},
		"commitment":       {hs - 64, hs - 32},
		"header MAC":       {hs - 32, hs},
		"part salt":        {hs, body},
		"first segment":    {body, body + seg},
		"first tag":        {body + seg, body + segCT},
		"middle segment":   {body + segCT, body + 2*segCT - tagSize},
		"last segment":     {to - 40, to - tagSize},
		"last tag":         {to - tagSize, to},
		"table header":     {to, to + tableFixedSize},
		"table entry":      {to + tableFixedSize, to + tableFixedSize + tableEntrySize},
		"table MAC":        {to + tableFixedSize + tableEntrySize, len(env) - footerSize},
		"footer length":    {len(env) - footerSize, len(env) - 8},
		"footer magic+ver": {len(env) - 8, len(env)},
	}
}

func TestTamperEveryByte(t *testing.T) {
	const seg = 256
	id := testIdentities()[TypeX25519]
	pt := randomBytes(t, 3*seg+100)
	env := encryptBytes(t, pt, &Options{SegmentSize: seg}, id.Recipient())
	for name, r := range regions(t, env, seg) {
		if r[0] >= r[1] {
			t.Fatalf("empty region %s %v", name, r)
		}
		for i := r[0]; i < r[1]; i++ {
			for _, bit := range []byte{0x01, 0x80} {
				e := bytes.Clone(env)
				e[i] ^= bit
				mustFail(t, name, e, id)
			}
		}
	}
	// And every other byte, so no region is forgotten.
	for i := range env {
		e := bytes.Clone(env)
		e[i] ^= 0x10
		mustFail(t, "byte", e, id)
	}
}

func TestTruncateExtendReorder(t *testing.T) {
	const seg = 256
	id := testIdentities()[TypeX25519]
	pt := randomBytes(t, 4*seg+3)
	env := encryptBytes(t, pt, &Options{SegmentSize: seg}, id.Recipient())
	for n := 0; n < len(env); n++ {
		mustFail(t, "truncated", env[:n], id)
	}
	for _, tail := range [][]byte{{0}, make([]byte, 16), env[len(env)-footerSize:]} {
		mustFail(t, "extended", append(bytes.Clone(env), tail...), id)
	}
	h, _ := ReadHeader(bytes.NewReader(env))
	b := h.Size() + saltSize
	segCT := seg + tagSize
	swap := bytes.Clone(env)
	copy(swap[b:], env[b+segCT:b+2*segCT])
	copy(swap[b+segCT:], env[b:b+segCT])
	mustFail(t, "swapped segments", swap, id)
	drop := append(bytes.Clone(env[:b]), env[b+segCT:]...)
	mustFail(t, "dropped segment", drop, id)
	dup := append(bytes.Clone(env[:b+segCT]), env[b:]...)
	mustFail(t, "duplicated segment", dup, id)
	// A whole-segment-multiple part must not be cut at a segment boundary.
	pt2 := randomBytes(t, 4*seg)
	env2 := encryptBytes(t, pt2, &Options{SegmentSize: seg}, id.Recipient())
	h2, _ := ReadHeader(bytes.NewReader(env2))
	l2, _ := ReadFileLayout(bytes.NewReader(env2), int64(len(env2)))
	cut := append(bytes.Clone(env2[:h2.Size()+saltSize+3*segCT]), env2[l2.TableOffset:]...)
	mustFail(t, "cut at a segment boundary", cut, id)
}

// A header whose stanza opens to a key other than the committed one (a
// malicious sender wrapping different keys for different recipients) is
// refused before any segment is opened.
func TestKeyCommitment(t *testing.T) {
	ids := testIdentities()
	env := encryptBytes(t, []byte("committed"), nil, ids[TypeX25519].Recipient())
	h, err := ReadHeader(bytes.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	evil := make([]byte, keySize)
	s, err := ids[TypeX25519].Recipient().Wrap(evil)
	if err != nil {
		t.Fatal(err)
	}
	h.stanzas[0] = *s
	if _, err := h.Unwrap(ids[TypeX25519]); !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
}

// An empty part holds no plaintext but its salt and tag are still
// checked when a whole object is read (found by FuzzDecrypt).
func TestTamperEmpty(t *testing.T) {
	id := testIdentities()[TypeX25519]
	env := encryptBytes(t, nil, &Options{SegmentSize: 256}, id.Recipient())
	for i := range env {
		e := bytes.Clone(env)
		e[i] ^= 0x04
		mustFail(t, "empty envelope", e, id)
	}
	o := newObject(t, 256)
	o.put(t, 1, randomBytes(t, 300))
	o.put(t, 2, nil)
	o.put(t, 3, randomBytes(t, 10))
	tb, body, _ := o.complete(t, 1, 2, 3)
	start := len(o.bodies[1])
	for i := start; i < start+len(o.bodies[2]); i++ {
		b := bytes.Clone(body)
		b[i] ^= 1
		if _, err := readRange(o.k, b, tb, 0, 310); !errors.Is(err, ErrAuth) {
			t.Fatalf("flipped byte %d of the empty part: %v", i-start, err)
		}
	}
}
