package gateway

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"os"
	"testing"

	"envelopegw/backend/posix"
	"envelopegw/envelope"
	"envelopegw/s3api"
)

// TestInProgressUploadUnreadableFromVolumeAndIngestHost plays a thief who
// holds everything on the volume and everything an ingest host holds (the
// recipients, the signing key, the state key and what derives from it)
// while a multipart upload is open, and tries to decrypt its parts:
//
//   - every 32-byte window of every file on the volume, of every sealed
//     attribute opened with the gateway's own keys, and the ingest host's
//     secrets, is tried as the data key of every part header (ImportKey
//     checks it against the header's key commitment) and as an AES-256-GCM
//     key on the small part's only segment;
//   - an ingest-only gateway on a copy of the volume completes the upload
//     and reads it: refused, no identity.
//
// All of it must fail. Then a restore gateway holding the recipient's
// private key reads the completed object back byte for byte.
func TestInProgressUploadUnreadableFromVolumeAndIngestHost(t *testing.T) {
	e := newEnv(t)
	ingest := e.ingestOnly()
	ingest.minPartSize = 1
	ctx := context.Background()
	mustBucket(t, ingest, "bkt")
	id, err := ingest.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "db.xbstream"})
	if err != nil {
		t.Fatal(err)
	}
	plain := [][]byte{randBytes(20 << 10), randBytes(1000)}
	var parts []s3api.CompletedPart
	for i, p := range plain {
		out := uploadPart(t, ingest, "bkt", "db.xbstream", id, i+1, p)
		parts = append(parts, s3api.CompletedPart{PartNumber: i + 1, ETag: out.ETag})
	}
	// Part 1 sent again: a fresh key; the backend keeps the last version.
	out := uploadPart(t, ingest, "bkt", "db.xbstream", id, 1, plain[0])
	parts[0].ETag = out.ETag

	// What the thief holds.
	files := map[string][]byte{}
	for _, f := range dataFiles(t, e.dir) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[f] = b
	}
	metaKey, err := envelope.GatewayMetaKey(e.stateKey)
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := e.signer.MarshalText()
	secrets := [][]byte{e.stateKey, metaKey, sk}
	// Every sealed attribute the gateway wrote, opened as the gateway would.
	up, err := ingest.be.StatUpload(ctx, "bkt", "db.xbstream", id)
	if err != nil {
		t.Fatal(err)
	}
	ua, err := ingest.uploadAttrs(op{ctx: ctx}, up)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, envelope.EncodeMeta(ua))
	stored, err := ingest.be.ListParts(ctx, "bkt", "db.xbstream", id)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range stored {
		sealed, _ := base64.StdEncoding.DecodeString(p.Meta[mSealed])
		pa, err := ingest.attrSealer.open(sealed, partAD(id, p.Number, p.Meta))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, pa)
		for _, v := range p.Meta {
			secrets = append(secrets, []byte(v))
		}
	}
	for _, v := range up.Meta {
		secrets = append(secrets, []byte(v))
	}
	var candidates [][]byte
	for _, b := range secrets {
		candidates = appendWindows(candidates, b)
	}

	// The part bodies: files that start with an envelope header.
	type sealedPart struct {
		h     *envelope.Header
		first []byte // salt and first segment
	}
	var sps []sealedPart
	seen := map[string]bool{}
	for path, b := range files {
		// A part file holds its body after a posix header, its record
		// after the body; it has two names (data/ and the upload's).
		if off, n, ok := posix.InlineBody(path); ok && off+n <= int64(len(b)) {
			b = b[off : off+n]
		}
		if seen[string(b)] {
			continue
		}
		seen[string(b)] = true
		h, err := envelope.ReadHeader(bytes.NewReader(b))
		if err != nil {
			continue
		}
		body := b[h.Size():]
		sps = append(sps, sealedPart{h, body[:min(len(body), 16+envelope.DefaultSegmentSize+16)]})
	}
	// Every window of every file: heads, upload and part metadata, bucket
	// state, and the stored parts themselves.
	for _, b := range files {
		candidates = appendWindows(candidates, b)
	}
	if len(sps) != 2 {
		t.Fatalf("%d part bodies with a part header on the volume, want 2", len(sps))
	}
	t.Logf("trying %d candidate keys on %d in-progress part bodies", len(candidates), len(sps))
	var nonce [12]byte
	for _, sp := range sps {
		for _, c := range candidates {
			if _, err := envelope.ImportKey(sp.h, c); err == nil {
				t.Fatalf("a 32-byte value held by the volume or the ingest host opens a part's data key")
			}
			if len(sp.first) > 4096 {
				continue // the small part's segment carries this attempt
			}
			blk, _ := aes.NewCipher(c)
			g, _ := cipher.NewGCM(blk)
			for _, last := range []byte{0, 1} {
				nonce[11] = last
				if _, err := g.Open(nil, nonce[:], sp.first[16:], nil); err == nil {
					t.Fatalf("a 32-byte value held by the volume or the ingest host decrypts a part segment")
				}
			}
		}
	}

	// The gateway's own read path on the ingest host, after Complete.
	if _, err := ingest.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "db.xbstream", UploadID: id, Parts: parts}); err != nil {
		t.Fatal(err)
	}
	if _, err := readRange(t, ingest, "bkt", "db.xbstream", 0, 10); !isNoKey(err) {
		t.Fatalf("the ingest host read the completed object: %v", err)
	}
	// Restore, with the recipient's private key, on another process.
	restore := e.service(nil)
	want := append(append([]byte{}, plain[0]...), plain[1]...)
	if got := readAll(t, restore, "bkt", "db.xbstream"); !bytes.Equal(got, want) {
		t.Fatalf("restore read %d bytes, want %d", len(got), len(want))
	}
	if got, err := readRange(t, restore, "bkt", "db.xbstream", 20<<10-5, 10); err != nil || !bytes.Equal(got, want[20<<10-5:20<<10+5]) {
		t.Fatalf("range across the part boundary: %v", err)
	}
}

// appendWindows adds every 32-byte window of b.
func appendWindows(c [][]byte, b []byte) [][]byte {
	for i := 0; i+32 <= len(b); i++ {
		c = append(c, b[i:i+32])
	}
	return c
}

func isNoKey(err error) bool {
	se, ok := err.(*s3api.Error)
	return ok && se.Code == s3api.ErrNoDecryptionKey.Code
}
