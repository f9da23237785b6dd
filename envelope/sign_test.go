package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// vectorSigningKey is the signing key of FORMAT.md's v2 vectors: seed 32
// bytes of 0x44.
func vectorSigningKey(t testing.TB) *SigningKey {
	k, err := NewSigningKey(bytes.Repeat([]byte{0x44}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func vectorRecord() *Record {
	r := &Record{
		Created: time.Unix(1767225600, 123456789).UTC(),
		Bucket:  "backups",
		Key:     "db/2026-01-01/full.xbstream",
		Size:    300,
	}
	for i := range r.WriteID {
		r.WriteID[i] = 0xd0 + byte(i)
	}
	r.HeaderHash = sha256.Sum256([]byte("header"))
	r.TableHash = sha256.Sum256([]byte("table"))
	r.Parts = []RecordPart{{Size: 300, Digest: sha256.Sum256([]byte("part 1"))}}
	r.GatewayKey = bytes.Repeat([]byte{0xe1}, wrappedMetaKey)
	r.DataKey = bytes.Repeat([]byte{0xe2}, wrappedMetaKey)
	r.Meta = []byte{0xf0, 0xf1, 0xf2}
	return r
}

// The v2 vectors of FORMAT.md: everything deterministic is recomputed
// here; the signature (hedged ML-DSA) is a vector to verify. Set
// ENVELOPE_WRITE_VECTORS=1 to print the block.
func TestSigningVectors(t *testing.T) {
	k := vectorSigningKey(t)
	r := vectorRecord()
	r.Signer = k.KeyID()
	enc, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pubSum := sha256.Sum256(k.Public().Bytes())
	meta := EncodeMeta(map[string]string{"e": "5d41402abc4b2a76b9719d911017c592", "ct": "text/plain"})
	got := [][2]string{
		{"signing key (text)", strings.TrimSpace(string(mustText(t, k)))},
		{"signer key ID (text)", k.KeyID()},
		{"SHA-256 of the signer public key", hex.EncodeToString(pubSum[:])},
		{"Ed25519 public key", hex.EncodeToString(k.Public().Bytes()[:32])},
		{"record", hex.EncodeToString(enc)},
		{"metadata encoding", hex.EncodeToString(meta)},
	}
	want := readVectorBlock(t, "sign")
	if os.Getenv("ENVELOPE_WRITE_VECTORS") != "" {
		sig, _ := k.Sign(enc)
		got = append(got, [2]string{"signature", hex.EncodeToString(sig)})
		for _, kv := range got {
			fmt.Printf("%s:\n", kv[0])
			for v := kv[1]; v != ""; {
				n := min(64, len(v))
				fmt.Printf("    %s\n", v[:n])
				v = v[n:]
			}
		}
		return
	}
	for _, kv := range got {
		if want[kv[0]] != kv[1] {
			t.Errorf("%s:\n got %s\nwant %s", kv[0], kv[1], want[kv[0]])
		}
	}
	sig, err := hex.DecodeString(want["signature"])
	if err != nil || len(sig) != SignatureSize {
		t.Fatalf("signature vector: %v (%d bytes)", err, len(sig))
	}
	if err := k.Public().Verify(enc, sig); err != nil {
		t.Fatalf("signature vector does not verify: %v", err)
	}
	if _, err := OpenSignedRecord(append(enc, sig...), Signers{k.Public()}); err != nil {
		t.Fatal(err)
	}
}

func mustText(t testing.TB, k *SigningKey) []byte {
	b, err := k.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readVectorBlock reads the named vector block of FORMAT.md
// (<!-- vectors-NAME:begin --> ... end): "label:" lines followed by
// indented hex or text lines, which are joined.
func readVectorBlock(t testing.TB, name string) map[string]string {
	b, err := os.ReadFile("FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	begin, end := "<!-- vectors-"+name+":begin -->", "<!-- vectors-"+name+":end -->"
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("FORMAT.md has no %s block", begin)
	}
	out := map[string]string{}
	label := ""
	for _, line := range strings.Split(s[i+len(begin):j], "\n") {
		switch {
		case strings.HasPrefix(line, "    "):
			out[label] += strings.TrimSpace(line)
		case strings.HasSuffix(line, ":"):
			label = strings.TrimSuffix(line, ":")
		}
	}
	return out
}

func TestSignVerify(t *testing.T) {
	k, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := GenerateSigningKey()
	msg := []byte("a record")
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Public().Verify(msg, sig); err != nil {
		t.Fatal(err)
	}
	if err := other.Public().Verify(msg, sig); !errors.Is(err, ErrSignature) {
		t.Fatalf("other key: %v", err)
	}
	if err := k.Public().Verify([]byte("a recorD"), sig); !errors.Is(err, ErrSignature) {
		t.Fatalf("other message: %v", err)
	}
	// Either half alone must not do: flip a byte in each half in turn.
	for _, i := range []int{0, 63, 64, SignatureSize - 1} {
		bad := bytes.Clone(sig)
		bad[i] ^= 1
		if err := k.Public().Verify(msg, bad); !errors.Is(err, ErrSignature) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	// A valid Ed25519 half with a garbage ML-DSA half fails, and the other way.
	mixed := append(bytes.Clone(sig[:64]), make([]byte, SignatureSize-64)...)
	if err := k.Public().Verify(msg, mixed); !errors.Is(err, ErrSignature) {
		t.Fatalf("Ed25519 half alone: %v", err)
	}
	if err := k.Public().Verify(msg, sig[:len(sig)-1]); !errors.Is(err, ErrSignature) {
		t.Fatalf("short: %v", err)
	}
	if err := (Signers{other.Public()}).Verify(k.KeyID(), msg, sig); !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "not a trusted signer") {
		t.Fatalf("untrusted: %v", err)
	}
	if err := (Signers{other.Public(), k.Public()}).Verify(k.KeyID(), msg, sig); err != nil {
		t.Fatal(err)
	}
}

func TestSigningKeyText(t *testing.T) {
	k, _ := GenerateSigningKey()
	text := "# comment\n\n" + string(mustText(t, k))
	k2, err := ParseSigningKeyFile(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if !k2.Public().Equal(k.Public()) || k2.KeyID() != k.KeyID() {
		t.Fatal("signing key did not survive its text form")
	}
	pubs, err := ParseSignerKeys(strings.NewReader("# signers\n" + k.Public().String() + "\n\n" + k2.Public().String() + "\n"))
	if err != nil || len(pubs) != 2 || !pubs[0].Equal(k.Public()) {
		t.Fatalf("signer keys: %v %d", err, len(pubs))
	}
	for _, bad := range []string{"", "egw-sign-ed25519-mldsa65:", "egw-sign-ed25519-mldsa65:AAAA", "egw-x25519:" + strings.Repeat("A", 43), k.Public().String()[:100]} {
		if _, err := ParseSignerKey(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseSignerKey(%.40q): %v", bad, err)
		}
	}
	if _, err := ParseSigningKeyFile(strings.NewReader(string(mustText(t, k)) + string(mustText(t, k)))); err == nil {
		t.Error("two keys in a signing key file accepted")
	}
	if _, err := ParseSigningKeyFile(strings.NewReader(k.Public().String())); err == nil {
		t.Error("a public key accepted as a signing key")
	}
}

func TestRecordRoundTripAndTamper(t *testing.T) {
	k, _ := GenerateSigningKey()
	r := vectorRecord()
	signed, err := r.Sign(k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenSignedRecord(signed, Signers{k.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != r.Key || got.Bucket != r.Bucket || got.Size != 300 || got.WriteID != r.WriteID || !got.Created.Equal(r.Created) || !bytes.Equal(got.Meta, r.Meta) {
		t.Fatalf("round trip: %+v", got)
	}
	// Every byte of the record is signed.
	for i := 0; i < len(signed)-SignatureSize; i++ {
		bad := bytes.Clone(signed)
		bad[i] ^= 0x20
		if _, err := OpenSignedRecord(bad, Signers{k.Public()}); err == nil {
			t.Fatalf("byte %d flipped: accepted", i)
		}
	}
	if err := got.Check("backups", "db/2026-01-01/full.xbstream", []byte("header"), []byte("table")); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][4]string{
		{"backups", "other", "header", "table"},
		{"other", "db/2026-01-01/full.xbstream", "header", "table"},
		{"backups", "db/2026-01-01/full.xbstream", "headeR", "table"},
		{"backups", "db/2026-01-01/full.xbstream", "header", "tablE"},
	} {
		if err := got.Check(c[0], c[1], []byte(c[2]), []byte(c[3])); !errors.Is(err, ErrAuth) {
			t.Errorf("Check%v: %v", c, err)
		}
	}
	for n := range len(signed) {
		if _, err := ParseSignedRecordUnauthenticated(signed[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: parsed", n)
		}
	}
}

func TestMetaSealing(t *testing.T) {
	h, key, err := NewHeader([]Recipient{testIdentities()[TypeX25519].Recipient()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = h
	gk, _ := GatewayMetaKey(bytes.Repeat([]byte{7}, 32))
	mk, _ := NewMetaKey()
	r := vectorRecord()
	r.GatewayKey, _ = mk.WrapForGateway(gk)
	r.DataKey, _ = mk.WrapForDataKey(key)
	meta := map[string]string{"e": "etag", "u": `{"a":"b"}`, "": "empty name"}
	r.Meta, err = mk.SealMeta(r.WriteID, meta)
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func() (*MetaKey, error){
		"gateway":  func() (*MetaKey, error) { return r.UnwrapMetaKeyGateway(gk) },
		"data key": func() (*MetaKey, error) { return r.UnwrapMetaKeyData(key) },
	} {
		m, err := open()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := m.OpenMeta(r)
		if err != nil || len(got) != 3 || got["u"] != meta["u"] || got[""] != "empty name" {
			t.Fatalf("%s: %v %v", name, got, err)
		}
	}
	other, _ := GatewayMetaKey(bytes.Repeat([]byte{8}, 32))
	if _, err := r.UnwrapMetaKeyGateway(other); !errors.Is(err, ErrAuth) {
		t.Fatalf("other gateway key: %v", err)
	}
	// Metadata sealed for one write ID does not open as another's.
	r2 := *r
	r2.WriteID[0] ^= 1
	if _, err := mk.OpenMeta(&r2); !errors.Is(err, ErrAuth) {
		t.Fatalf("moved metadata: %v", err)
	}
	if _, err := DecodeMeta(EncodeMeta(meta)[:5]); err == nil {
		t.Fatal("truncated metadata decoded")
	}
}

func FuzzParseRecord(f *testing.F) {
	k := vectorSigningKey(f)
	r := vectorRecord()
	r.Signer = k.KeyID()
	enc, _ := r.Marshal()
	f.Add(enc)
	f.Add(EncodeMeta(map[string]string{"a": "b"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := ParseRecordUnauthenticated(b); err == nil {
			again, err := r.Marshal()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("record does not re-encode to its input: %v", err)
			}
		}
		if m, err := DecodeMeta(b); err == nil && !bytes.Equal(EncodeMeta(m), b) {
			t.Fatal("metadata does not re-encode to its input")
		}
	})
}

func BenchmarkSign(b *testing.B) {
	k := vectorSigningKey(b)
	msg := make([]byte, 600)
	for b.Loop() {
		if _, err := k.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	k := vectorSigningKey(b)
	msg := make([]byte, 600)
	sig, _ := k.Sign(msg)
	for b.Loop() {
		if err := k.Public().Verify(msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}
