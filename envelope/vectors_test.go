package envelope

import (
	"bufio"
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// The test vectors of FORMAT.md are checked here: every derived value and
// every encoded structure is recomputed from the fixed inputs, and the
// whole file is decrypted with both fixed identities. Set
// ENVELOPE_WRITE_VECTORS=1 to print a fresh block (new random stanza
// bodies) for FORMAT.md.

func vectorInputs() (data []byte, hsalt, psalt, esalt [saltSize]byte, plain []byte) {
	data = make([]byte, keySize)
	for i := range data {
		data[i] = byte(i)
	}
	for i := range hsalt {
		hsalt[i] = 0xa0 + byte(i)
		psalt[i] = 0xb0 + byte(i)
		esalt[i] = 0xc0 + byte(i)
	}
	plain = make([]byte, 300)
	for i := range plain {
		plain[i] = byte(i)
	}
	return
}

const vectorSegment = 256

func vectorIdentities(t testing.TB) (x, m Identity) {
	xk, err := hpke.DHKEM(ecdh.X25519()).NewPrivateKey(bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	mk, err := hpke.MLKEM768X25519().NewPrivateKey(bytes.Repeat([]byte{0x43}, 32))
	if err != nil {
		t.Fatal(err)
	}
	xi, err := newHPKEIdentity(suiteX, xk)
	if err != nil {
		t.Fatal(err)
	}
	mi, err := newHPKEIdentity(suiteMLKEM, mk)
	if err != nil {
		t.Fatal(err)
	}
	return xi, mi
}

// vectorValues computes every vector from the inputs and the two stanzas.
func vectorValues(t testing.TB, stanzas []Stanza) ([][2]string, []byte) {
	data, hsalt, psalt, esalt, plain := vectorInputs()
	xi, mi := vectorIdentities(t)
	k, err := deriveKey(data, hsalt, vectorSegment)
	if err != nil {
		t.Fatal(err)
	}
	h := &Header{segmentSize: vectorSegment, salt: hsalt, stanzas: stanzas, commitment: k.commitment}
	if err := h.sign(k); err != nil {
		t.Fatal(err)
	}
	hb, _ := h.MarshalBinary()
	var body bytes.Buffer
	pw, _ := k.newPartWriter(&body, 1, psalt)
	pw.Write(plain)
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	tb, _ := k.SealTable([]PartInfo{pw.Info()})
	foot := appendFooter(nil, len(tb))
	var empty bytes.Buffer
	ew, _ := k.newPartWriter(&empty, 2, esalt)
	ew.Close()
	partKey := func(n int, s [saltSize]byte) string {
		// The part AEAD hides its key; recompute it the documented way.
		return hex.EncodeToString(hkdfPartKey(t, data, s, n))
	}
	xt, _ := xi.MarshalText()
	mt, _ := mi.MarshalText()
	file := bytes.Join([][]byte{hb, body.Bytes(), tb, foot}, nil)
	hx := hex.EncodeToString
	return [][2]string{
		{"data key", hx(data)},
		{"header salt", hx(hsalt[:])},
		{"key commitment", hx(k.commitment[:])},
		{"header MAC key", hx(k.headerMAC[:])},
		{"table MAC key", hx(k.tableMAC[:])},
		{"part 1 salt", hx(psalt[:])},
		{"part 1 key", partKey(1, psalt)},
		{"x25519 identity (text)", string(xt)},
		{"x25519 recipient (text)", xi.Recipient().String()},
		{"x25519 key ID (text)", xi.KeyID()},
		{"x25519 stanza body", hx(stanzas[0].Body)},
		{"mlkem768x25519 identity (text)", string(mt)},
		{"mlkem768x25519 key ID (text)", mi.KeyID()},
		{"mlkem768x25519 stanza body", hx(stanzas[1].Body)},
		{"header", hx(hb)},
		{"part 1 body", hx(body.Bytes())},
		{"table", hx(tb)},
		{"footer", hx(foot)},
		{"empty part 2 salt", hx(esalt[:])},
		{"empty part 2 key", partKey(2, esalt)},
		{"empty part 2 body", hx(empty.Bytes())},
	}, file
}

func TestWriteVectors(t *testing.T) {
	if os.Getenv("ENVELOPE_WRITE_VECTORS") == "" {
		t.Skip("set ENVELOPE_WRITE_VECTORS=1 to print a vector block for FORMAT.md")
	}
	data, _, _, _, _ := vectorInputs()
	xi, mi := vectorIdentities(t)
	var stanzas []Stanza
	for _, id := range []Identity{xi, mi} {
		s, err := id.Recipient().Wrap(data)
		if err != nil {
			t.Fatal(err)
		}
		stanzas = append(stanzas, *s)
	}
	vals, _ := vectorValues(t, stanzas)
	var b strings.Builder
	for _, v := range vals {
		fmt.Fprintf(&b, "%s:\n", v[0])
		for s := v[1]; len(s) > 0; {
			n := min(len(s), 64)
			fmt.Fprintf(&b, "    %s\n", s[:n])
			s = s[n:]
		}
	}
	fmt.Print(b.String())
}

// readFormatVectors parses the vector block of FORMAT.md.
func readFormatVectors(t *testing.T) map[string][]byte { return readFormatBlock(t, "vectors") }

// readFormatBlock parses the FORMAT.md block between <!-- block:begin -->
// and <!-- block:end -->.
func readFormatBlock(t *testing.T, block string) map[string][]byte {
	f, err := os.Open("FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	in, name := false, ""
	var cur strings.Builder
	flush := func() {
		if strings.HasSuffix(name, "(text)") {
			out[name] = []byte(cur.String())
		} else if name != "" {
			b, err := hex.DecodeString(cur.String())
			if err != nil {
				t.Fatalf("FORMAT.md vector %q: %v", name, err)
			}
			out[name] = b
		}
		name = ""
		cur.Reset()
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "<!-- "+block+":begin -->":
			in = true
		case line == "<!-- "+block+":end -->":
			flush()
			in = false
		case !in || strings.HasPrefix(line, "```") || strings.TrimSpace(line) == "":
		case strings.HasSuffix(line, ":") && !strings.HasPrefix(line, " "):
			flush()
			name = strings.TrimSuffix(line, ":")
		default:
			cur.WriteString(strings.TrimSpace(line))
		}
	}
	if len(out) == 0 {
		t.Fatal("no vectors found in FORMAT.md")
	}
	return out
}

func TestFormatVectors(t *testing.T) {
	doc := readFormatVectors(t)
	xi, mi := vectorIdentities(t)
	stanzas := []Stanza{
		{Type: TypeX25519, KeyID: xi.KeyID(), Body: doc["x25519 stanza body"]},
		{Type: TypeMLKEM768X25519, KeyID: mi.KeyID(), Body: doc["mlkem768x25519 stanza body"]},
	}
	vals, file := vectorValues(t, stanzas)
	for _, v := range vals {
		got, ok := doc[v[0]]
		if !ok {
			t.Errorf("FORMAT.md lacks vector %q", v[0])
			continue
		}
		if strings.HasSuffix(v[0], "(text)") {
			if string(got) != v[1] {
				t.Errorf("vector %q: FORMAT.md %q, computed %q", v[0], got, v[1])
			}
			continue
		}
		if hex.EncodeToString(got) != v[1] {
			t.Errorf("vector %q:\nFORMAT.md %x\ncomputed  %s", v[0], got, v[1])
		}
	}
	if len(doc) != len(vals) {
		t.Errorf("FORMAT.md has %d vectors, the test knows %d", len(doc), len(vals))
	}
	// The documented identities parse and decrypt the documented file.
	_, _, _, _, plain := vectorInputs()
	for _, name := range []string{"x25519 identity (text)", "mlkem768x25519 identity (text)"} {
		ids, err := ParseIdentities(bytes.NewReader(doc[name]))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Decrypt(bytes.NewReader(file), ids...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: decrypting the vector file: %v", name, err)
		}
	}
}
