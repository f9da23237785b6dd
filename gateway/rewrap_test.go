package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"envelopegw/envelope"
	"envelopegw/s3api"
)

type fixedKeyring map[string][]envelope.Recipient

func (k fixedKeyring) Recipients(bucket string) ([]envelope.Recipient, bool) {
	rs, ok := k[bucket]
	return rs, ok
}

func TestKeyringChoosesRecipients(t *testing.T) {
	e := newEnv(t)
	other, _ := envelope.GenerateIdentity("x25519")
	s := e.service(func(c *Config) { c.Keyring = fixedKeyring{"team": {other.Recipient()}} })
	mustBucket(t, s, "team")
	mustBucket(t, s, "rest")
	put(t, s, "team", "k", []byte("team data"))
	put(t, s, "rest", "k", []byte("rest data"))
	for bucket, want := range map[string]string{"team": other.KeyID(), "rest": e.id.KeyID()} {
		o, err := s.GetObject(context.Background(), bucket, "k")
		if err != nil {
			t.Fatal(err)
		}
		if got := o.(s3api.KeyIDReporter).KeyIDs(); !slices.Equal(got, []string{want}) {
			t.Errorf("%s sealed to %v, want %s", bucket, got, want)
		}
		o.Close()
	}
	// Multipart uploads ask too: every part header and the object header.
	ctx := context.Background()
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "team", Key: "mp"})
	if err != nil {
		t.Fatal(err)
	}
	p1 := uploadPart(t, s, "team", "mp", id, 1, []byte("part data"))
	if _, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "team", Key: "mp", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: p1.ETag}}}); err != nil {
		t.Fatal(err)
	}
	obj, err := s.be.Open(ctx, "team", "mp")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	ph, err := envelope.ReadHeader(io.NewSectionReader(obj, 0, obj.Info().Size))
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := getBytes(obj.Info().Meta, mHeader)
	h, _ := envelope.ParseHeader(hb)
	for what, h := range map[string]*envelope.Header{"object": h, "part 1": ph} {
		if got := headerKeyIDs(h); !slices.Equal(got, []string{other.KeyID()}) {
			t.Errorf("%s header sealed to %v", what, got)
		}
	}
	if _, err := readRange(t, s, "team", "k", 0, 4); !errors.Is(err, s3api.ErrNoDecryptionKey) {
		t.Errorf("the gateway read an object sealed only to another key: %v", err)
	}
}

func TestRewrap(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "b")
	data := randBytes(300000)
	put(t, s, "b", "k", data)
	before, _ := s.be.Stat(ctx, "b", "k")

	next, _ := envelope.GenerateIdentity("x25519")
	add := []envelope.Recipient{next.Recipient()}
	remove := []string{e.id.KeyID()}

	res, err := s.Rewrap(ctx, "b", "k", add, remove, true)
	if err != nil || !res.Changed || !slices.Equal(res.After, []string{next.KeyID()}) {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if st, _ := s.be.Stat(ctx, "b", "k"); st.Meta[mHeader] != before.Meta[mHeader] {
		t.Fatal("the dry run changed the header")
	}
	if res, err = s.Rewrap(ctx, "b", "k", add, remove, false); err != nil || !res.Changed {
		t.Fatalf("rewrap: %+v %v", res, err)
	}
	if res, err = s.Rewrap(ctx, "b", "k", add, remove, false); err != nil || res.Changed {
		t.Fatalf("second rewrap: %+v %v, want skipped", res, err)
	}
	// As `rewrap --data` runs it: no state key (no gateway metadata key),
	// and the old identity, which no longer opens the object: skipped.
	offline := e.service(func(c *Config) { c.StateKey = nil })
	if res, err = offline.Rewrap(ctx, "b", "k", add, remove, false); err != nil || res.Changed {
		t.Fatalf("resumed rewrap without the state key: %+v %v, want skipped", res, err)
	}
	after, _ := s.be.Stat(ctx, "b", "k")
	for k, v := range before.Meta {
		// The header changes, and with it the signed record that names it.
		if k != mHeader && k != mRecord && k != mLastModified && after.Meta[k] != v {
			t.Errorf("metadata %q changed", k)
		}
	}
	if lm := headInfo(t, s, "b", "k").LastModified; !lm.Equal(before.ModTime) {
		t.Errorf("Last-Modified moved from %v to %v", before.ModTime, lm)
	}
	// A rewrap re-signs the record: without the signing key it is refused.
	unsigned := e.service(func(c *Config) {
		c.SigningKey, c.Signers, c.Identities = nil, envelope.Signers{e.signer.Public()}, []envelope.Identity{next}
	})
	if _, err := unsigned.Rewrap(ctx, "b", "k", []envelope.Recipient{e.id.Recipient()}, nil, false); err == nil || !strings.Contains(err.Error(), "signing key") {
		t.Errorf("a rewrap of a v2 object without the signing key: %v", err)
	}

	// The new key opens it, the removed one no longer does.
	sNew := e.service(func(c *Config) { c.Identities = []envelope.Identity{next} })
	if got := readAll(t, sNew, "b", "k"); !bytes.Equal(got, data) {
		t.Error("the new key reads other bytes")
	}
	if _, err := readRange(t, s, "b", "k", 0, 1); !errors.Is(err, s3api.ErrNoDecryptionKey) {
		t.Errorf("the removed key still opens the object: %v", err)
	}

	// Refusals: no recipient left; no identity that opens it.
	if _, err := sNew.Rewrap(ctx, "b", "k", nil, []string{next.KeyID()}, false); err == nil {
		t.Error("a rewrap removing every recipient was accepted")
	}
	third, _ := envelope.GenerateIdentity("x25519")
	if _, err := s.Rewrap(ctx, "b", "k", []envelope.Recipient{third.Recipient()}, nil, false); !errors.Is(err, envelope.ErrNoIdentity) {
		t.Errorf("a rewrap without a matching identity: %v", err)
	}
}

func headInfo(t *testing.T, s *Service, bucket, key string) *s3api.ObjectInfo {
	t.Helper()
	r, err := s.GetObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.Info()
}

func TestStaleUploads(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "b")
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "b", Key: "db/big"})
	if err != nil {
		t.Fatal(err)
	}
	next, _ := envelope.GenerateIdentity("x25519")
	add, remove := []envelope.Recipient{next.Recipient()}, []string{e.id.KeyID()}
	stale, err := s.StaleUploads(ctx, "b", "db/", add, remove)
	if err != nil || len(stale) != 1 || stale[0] != "db/big ("+id+")" {
		t.Errorf("stale uploads %v %v", stale, err)
	}
	if stale, _ := s.StaleUploads(ctx, "b", "other/", add, remove); len(stale) != 0 {
		t.Errorf("outside the prefix: %v", stale)
	}
	if stale, _ := s.StaleUploads(ctx, "b", "", nil, nil); len(stale) != 0 {
		t.Errorf("with nothing to change: %v", stale)
	}
	if err := s.AbortMultipartUpload(ctx, "b", "db/big", id); err != nil {
		t.Fatal(err)
	}
	if stale, _ := s.StaleUploads(ctx, "b", "", add, remove); len(stale) != 0 {
		t.Errorf("after abort: %v", stale)
	}
}
