package envelope

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
)

func TestSignedFile(t *testing.T) {
	id := testIdentities()[TypeX25519]
	sk, _ := GenerateSigningKey()
	plain := randomBytes(t, 3*DefaultSegmentSize+17)
	var buf bytes.Buffer
	w, err := EncryptSigned(&buf, []Recipient{id.Recipient()}, nil, sk)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := buf.Bytes()
	l, err := ReadFileLayout(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := VerifyFile(l, Signers{sk.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Size != int64(len(plain)) || rec.Signer != sk.KeyID() {
		t.Fatalf("record: %+v", rec)
	}
	// The record's part digest is the SHA-256 of the stored part body.
	body := file[l.BodyOffset : l.BodyOffset+l.BodySize]
	if d := sha256.Sum256(body); d != rec.Parts[0].Digest {
		t.Fatal("part digest is not the SHA-256 of the part body")
	}
	rc, _, err := DecryptLayout(bytes.NewReader(file), l, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypt: %v", err)
	}
	other, _ := GenerateSigningKey()
	if _, err := VerifyFile(l, Signers{other.Public()}); !errors.Is(err, ErrSignature) {
		t.Fatalf("untrusted signer: %v", err)
	}
	// Any byte of the header, table or record changed: refused.
	for _, off := range []int{10, int(l.TableOffset) + 20, len(file) - 100, len(file) - SignatureSize - 40} {
		bad := bytes.Clone(file)
		bad[off] ^= 1
		bl, err := ReadFileLayout(bytes.NewReader(bad), int64(len(bad)))
		if err == nil {
			_, err = VerifyFile(bl, Signers{sk.Public()})
		}
		if err == nil {
			t.Errorf("byte %d flipped: verified", off)
		}
	}
	// An unsigned file is not verified.
	unsigned := encryptBytes(t, plain, nil, id.Recipient())
	ul, err := ReadFileLayout(bytes.NewReader(unsigned), int64(len(unsigned)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(ul, Signers{sk.Public()}); !errors.Is(err, ErrSignature) {
		t.Fatalf("unsigned: %v", err)
	}
	// The trailer parser for streams finds the table and the record too.
	tb, signed, tl, err := SplitTrailer(file[len(file)-MaxTrailerSize/4:])
	if err != nil || !bytes.Equal(tb, l.Table) || !bytes.Equal(signed, l.Signed) || tl != len(file)-int(l.TableOffset) {
		t.Fatalf("SplitTrailer: %v", err)
	}
}
