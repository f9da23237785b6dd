package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"testing"
)

// The version 2 part table vectors of FORMAT.md ("Version 2 part table
// vectors"): the header and part 1 body of the version 1 vectors become a
// sealed part (its own header, then its body), listed in a version 2
// table under an object key of their own.

func table2Values(t *testing.T, doc map[string][]byte) ([][2]string, *Key, []byte, []byte) {
	okey := make([]byte, keySize)
	var osalt [saltSize]byte
	for i := range okey {
		okey[i] = 0x60 + byte(i)
	}
	for i := range osalt {
		osalt[i] = 0xe0 + byte(i)
	}
	k, err := deriveKey(okey, osalt, vectorSegment)
	if err != nil {
		t.Fatal(err)
	}
	hb, body := doc["header"], doc["part 1 body"]
	var salt [saltSize]byte
	copy(salt[:], body)
	info := PartInfo{Number: 1, Salt: salt, Size: 300, HeaderLen: len(hb), HeaderHash: sha256.Sum256(hb)}
	tb, err := k.SealTable([]PartInfo{info})
	if err != nil {
		t.Fatal(err)
	}
	hx := hex.EncodeToString
	return [][2]string{
		{"object data key", hx(okey)},
		{"object header salt", hx(osalt[:])},
		{"object table MAC key", hx(k.tableMAC[:])},
		{"part 1 header SHA-256", hx(info.HeaderHash[:])},
		{"version 2 table", hx(tb)},
	}, k, tb, append(bytes.Clone(hb), body...)
}

func TestFormatVectorsTable2(t *testing.T) {
	v1 := readFormatVectors(t)
	vals, k, tb, stored := table2Values(t, v1)
	if os.Getenv("ENVELOPE_WRITE_VECTORS") != "" {
		for _, v := range vals {
			fmt.Printf("%s:\n", v[0])
			for s := v[1]; len(s) > 0; s = s[min(len(s), 64):] {
				fmt.Printf("    %s\n", s[:min(len(s), 64)])
			}
		}
	}
	doc := readFormatBlock(t, "vectors-table2")
	for _, v := range vals {
		if got, ok := doc[v[0]]; !ok || hex.EncodeToString(got) != v[1] {
			t.Errorf("vector %q:\nFORMAT.md %x\ncomputed  %s", v[0], got, v[1])
		}
	}
	if len(doc) != len(vals) {
		t.Errorf("FORMAT.md has %d table 2 vectors, the test knows %d", len(doc), len(vals))
	}
	// The documented identities read the documented sealed part through
	// the documented table.
	_, _, _, _, plain := vectorInputs()
	for _, name := range []string{"x25519 identity (text)", "mlkem768x25519 identity (text)"} {
		ids, err := ParseIdentities(bytes.NewReader(v1[name]))
		if err != nil {
			t.Fatal(err)
		}
		ok := *k
		ok.identities = ids
		tab, err := ok.OpenTable(tb)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := ok.NewRangeReader(bytes.NewReader(stored), tab, 0, tab.Size())
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: reading the sealed part: %v", name, err)
		}
	}
}
