package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"envelopegw/envelope"
	"envelopegw/s3api"
)

// A multipart object's parts carry their own wrapped keys: a rewrap
// rewrites every part header (segments copied, not decrypted), re-signs,
// and afterwards only the new recipient reads any part; scrub (the
// signed digests) and range reads across parts still hold.
func TestRewrapMultipartPartHeaders(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	s.minPartSize = 0
	ctx := context.Background()
	mustBucket(t, s, "b")
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "b", Key: "mp"})
	if err != nil {
		t.Fatal(err)
	}
	plain := [][]byte{randBytes(100000), nil, randBytes(5000)}
	var parts []s3api.CompletedPart
	for i, p := range plain {
		out := uploadPart(t, s, "b", "mp", id, i+1, p)
		parts = append(parts, s3api.CompletedPart{PartNumber: i + 1, ETag: out.ETag})
	}
	done, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "b", Key: "mp", UploadID: id, Parts: parts})
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Join(plain, nil)

	next, _ := envelope.GenerateIdentity(envelope.TypeMLKEM768X25519)
	add, remove := []envelope.Recipient{next.Recipient()}, []string{e.id.KeyID()}
	if res, err := s.Rewrap(ctx, "b", "mp", add, remove, false); err != nil || !res.Changed {
		t.Fatalf("rewrap: %+v %v", res, err)
	}
	if res, err := s.Rewrap(ctx, "b", "mp", add, remove, false); err != nil || res.Changed {
		t.Fatalf("second rewrap: %+v %v, want skipped", res, err)
	}
	sNew := e.service(func(c *Config) { c.Identities = []envelope.Identity{next} })
	if got := readAll(t, sNew, "b", "mp"); !bytes.Equal(got, want) {
		t.Fatal("the new key reads other bytes")
	}
	if got, err := readRange(t, sNew, "b", "mp", 99990, 20); err != nil || !bytes.Equal(got, want[99990:100010]) {
		t.Fatalf("range across parts: %v", err)
	}
	if info := headInfo(t, sNew, "b", "mp"); info.ETag != done.ETag {
		t.Errorf("ETag %s after rewrap, was %s", info.ETag, done.ETag)
	}
	// The removed key opens neither the object header nor any part header.
	if _, err := readRange(t, s, "b", "mp", 0, 1); !errors.Is(err, s3api.ErrNoDecryptionKey) {
		t.Errorf("the removed key still opens the object: %v", err)
	}
	obj, err := s.be.Open(ctx, "b", "mp")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	ph, err := envelope.ReadHeader(io.NewSectionReader(obj, 0, obj.Info().Size))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ph.Unwrap(e.id); !errors.Is(err, envelope.ErrNoIdentity) {
		t.Errorf("part 1 header still opens with the removed key: %v", err)
	}
	if verdict, _, why, err := s.ScrubObject(ctx, "b", "mp"); err != nil || verdict != ScrubOK {
		t.Fatalf("scrub after rewrap: %s %s %v", verdict, why, err)
	}
}
