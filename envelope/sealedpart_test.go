package envelope

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

// sealedObject builds an object whose parts have their own data keys, as
// the gateway stores a completed multipart upload: per-part headers in
// the bodies, and a version 2 table under a key drawn at Complete.
func sealedObject(t *testing.T, seg int, sizes ...int) (hdr *Header, table, body, plain []byte) {
	t.Helper()
	rcp := []Recipient{testIdentities()[TypeX25519].Recipient(), testIdentities()[TypeMLKEM768X25519].Recipient()}
	var infos []PartInfo
	for i, n := range sizes {
		pt := make([]byte, n)
		rand.Read(pt)
		var buf bytes.Buffer
		pw, err := NewSealedPart(&buf, rcp, &Options{SegmentSize: seg}, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(pt); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		info := pw.Info()
		if info.HeaderLen == 0 || int64(buf.Len()) != info.StoredSize(seg) {
			t.Fatalf("part %d: %d bytes stored, info %+v", i+1, buf.Len(), info)
		}
		if pw.ownKey != nil {
			t.Fatal("the part's data key outlives Close")
		}
		infos = append(infos, info)
		body = append(body, buf.Bytes()...)
		plain = append(plain, pt...)
	}
	h, k, err := NewHeader(rcp, &Options{SegmentSize: seg})
	if err != nil {
		t.Fatal(err)
	}
	if table, err = k.SealTable(infos); err != nil {
		t.Fatal(err)
	}
	return h, table, body, plain
}

func TestSealedPartsRangeReads(t *testing.T) {
	const seg = 1024
	h, tb, body, plain := sealedObject(t, seg, 5000, 0, 3*seg, 17)
	for _, id := range []Identity{testIdentities()[TypeX25519], testIdentities()[TypeMLKEM768X25519]} {
		k, err := h.Unwrap(id)
		if err != nil {
			t.Fatal(err)
		}
		tab, err := k.OpenTable(tb)
		if err != nil {
			t.Fatal(err)
		}
		if !tab.PerPartKeys() || tab.BodySize(seg) != int64(len(body)) {
			t.Fatalf("table: per-part %v, body %d of %d", tab.PerPartKeys(), tab.BodySize(seg), len(body))
		}
		for _, r := range [][2]int64{{0, int64(len(plain))}, {4000, 2000}, {5000, 3 * seg}, {int64(len(plain)) - 5, 5}, {10, 0}} {
			rc, err := k.NewRangeReader(bytes.NewReader(body), tab, r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, plain[r[0]:r[0]+r[1]]) {
				t.Fatalf("range %v: err %v, equal %v", r, err, bytes.Equal(got, plain[r[0]:r[0]+r[1]]))
			}
		}
	}
}

// A key imported without identities (what an ingest host could hold) or
// another object's key opens no part with its own header.
func TestSealedPartsNeedAnIdentity(t *testing.T) {
	h, tb, body, _ := sealedObject(t, 1024, 3000)
	k, err := h.Unwrap(testIdentities()[TypeX25519])
	if err != nil {
		t.Fatal(err)
	}
	tab, err := k.OpenTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	ik, err := ImportKey(h, k.Export())
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ik.NewRangeReader(bytes.NewReader(body), tab, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.ReadAll(rc); err == nil || len(n) != 0 {
		t.Fatalf("read %d bytes without an identity (err %v)", len(n), err)
	}
	// The same part's body under the object key (not its own) fails too.
	p := tab.Parts[0]
	a, err := k.partAEAD(p.Number, p.Salt)
	if err != nil {
		t.Fatal(err)
	}
	var nonce [nonceSize]byte
	setNonce(&nonce, 0, true)
	seg := body[p.HeaderLen+saltSize:]
	if _, err := a.Open(nil, nonce[:], seg[:min(len(seg), 1024+tagSize)], nil); err == nil {
		t.Fatal("a part with its own key opened under the object's key")
	}
}

// Splicing: a part header replaced by one for another part (or another
// object), a part taken from another object, a body truncated: ErrAuth
// before any byte of the part.
func TestSealedPartsTamper(t *testing.T) {
	const seg = 1024
	h, tb, body, _ := sealedObject(t, seg, 2000, 2000)
	_, _, body2, _ := sealedObject(t, seg, 2000, 2000)
	k, _ := h.Unwrap(testIdentities()[TypeX25519])
	tab, err := k.OpenTable(tb)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"part 2 from another object": append(append([]byte{}, body[:tab.Parts[0].StoredSize(seg)]...), body2[tab.Parts[0].StoredSize(seg):]...),
		"header byte flipped":        flip(body, 40),
		"segment byte flipped":       flip(body, tab.Parts[0].HeaderLen+saltSize+3),
	} {
		rc, err := k.NewRangeReader(bytes.NewReader(b), tab, 0, tab.Size())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = io.ReadAll(rc)
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("%s: err %v, want ErrAuth", name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func TestTableV2RoundTrip(t *testing.T) {
	_, tb, _, _ := sealedObject(t, 1024, 10, 20)
	tab, err := ParseTableUnauthenticated(tb)
	if err != nil || len(tab.Parts) != 2 || tab.Parts[1].HeaderLen == 0 {
		t.Fatalf("%v %+v", err, tab)
	}
	if tb[6] != tableV2 {
		t.Fatalf("table version %d", tb[6])
	}
	mixed := []PartInfo{tab.Parts[0], {Number: 5, Size: 1}}
	if _, err := (&Key{}).SealTable(mixed); !errors.Is(err, ErrFormat) {
		t.Fatalf("mixed table: %v", err)
	}
}

// New RSA identities have at least 3072 bits (NIST's 128-bit level).
func TestGeneratedRSAIsAtLeast3072Bits(t *testing.T) {
	id, err := GenerateIdentity(TypeRSAOAEPSHA256)
	if err != nil {
		t.Fatal(err)
	}
	ri, ok := id.(*rsaIdentity)
	if !ok {
		t.Fatalf("identity of type %T", id)
	}
	if n := ri.priv.N.BitLen(); n < 3072 {
		t.Fatalf("new RSA key of %d bits", n)
	}
}
