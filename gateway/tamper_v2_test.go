package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
)

// The tamper suite of format v2 at the service: someone with write access
// to the volume but no trusted signing key edits, swaps, plants or copies
// objects. Every GET and HEAD must refuse before any byte.

// refused fails unless bucket/key is refused by GetObject (HEAD) and so no
// byte is served.
func refused(t *testing.T, s *Service, bucket, key, what string) {
	t.Helper()
	r, err := s.GetObject(context.Background(), bucket, key)
	if err == nil {
		defer r.Close()
		b, rerr := func() ([]byte, error) {
			rc, err := r.ReadRange(0, r.Info().Size)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(rc)
		}()
		t.Fatalf("%s: HEAD answered %+v; read %d bytes, %v", what, r.Info(), len(b), rerr)
	}
	var se *s3api.Error
	if !errors.As(err, &se) || se.Status < 400 {
		t.Fatalf("%s: %v", what, err)
	}
}

func statMeta(t *testing.T, s *Service, bucket, key string) backend.ObjectInfo {
	t.Helper()
	st, err := s.be.Stat(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rawCopy copies bucket/key's stored bytes and metadata to dst as someone
// with the volume would, without the gateway.
func rawCopy(t *testing.T, be backend.Backend, bucket, key, dstBucket, dst string, meta backend.Meta) {
	t.Helper()
	ctx := context.Background()
	src, err := be.Open(ctx, bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w, err := be.NewObject(ctx, dstBucket, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := io.Copy(w, io.NewSectionReader(src, 0, src.Info().Size)); err != nil {
		t.Fatal(err)
	}
	if meta == nil {
		meta = src.Info().Meta
	}
	if _, err := w.Commit(meta); err != nil {
		t.Fatal(err)
	}
}

func TestTamperV2Refused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	s := e.service(nil)
	s.minPartSize = 1
	twoPartObject(t, s, bytes.Repeat([]byte("B"), 10)) // bkt/o
	mustBucket(t, s, "other")
	a, b := []byte("object a's plaintext"), []byte("object b, another plaintext")
	put(t, s, "bkt", "a", a)
	put(t, s, "bkt", "b", b)
	setMeta := func(key string, m backend.Meta) {
		t.Helper()
		st := statMeta(t, s, "bkt", key)
		if _, err := s.be.SetMeta(ctx, "bkt", key, m, st.ModTime); err != nil {
			t.Fatal(err)
		}
	}
	restore := func(key string, m backend.Meta) { setMeta(key, m) }

	t.Run("records swapped", func(t *testing.T) {
		ma, mb := statMeta(t, s, "bkt", "a").Meta, statMeta(t, s, "bkt", "b").Meta
		rawCopy(t, s.be, "bkt", "a", "bkt", "a.tmp", nil)
		rawCopy(t, s.be, "bkt", "b", "bkt", "a", mb)
		rawCopy(t, s.be, "bkt", "a.tmp", "bkt", "b", ma)
		refused(t, s, "bkt", "a", "a holding b's files")
		refused(t, s, "bkt", "b", "b holding a's files")
		rawCopy(t, s.be, "bkt", "a", "bkt", "b.tmp", nil)
		rawCopy(t, s.be, "bkt", "b", "bkt", "a", nil)
		rawCopy(t, s.be, "bkt", "b.tmp", "bkt", "b", nil)
		if !bytes.Equal(readAll(t, s, "bkt", "a"), a) {
			t.Fatal("a does not read back after the swap was undone")
		}
	})
	t.Run("copied to another key and bucket", func(t *testing.T) {
		rawCopy(t, s.be, "bkt", "a", "bkt", "a-copy", nil)
		refused(t, s, "bkt", "a-copy", "copy to another key")
		rawCopy(t, s.be, "bkt", "a", "other", "a", nil)
		refused(t, s, "other", "a", "copy to another bucket")
	})
	t.Run("record fields edited", func(t *testing.T) {
		orig := statMeta(t, s, "bkt", "o").Meta
		rb, _ := b64.DecodeString(orig[mRecord])
		rec, err := envelope.ParseSignedRecordUnauthenticated(rb)
		if err != nil {
			t.Fatal(err)
		}
		msgLen := len(rb) - envelope.SignatureSize
		edits := map[string]func(r *envelope.Record){
			"size":          func(r *envelope.Record) { r.Parts[1].Size++; r.Size++ },
			"part order":    func(r *envelope.Record) { r.Parts[0], r.Parts[1] = r.Parts[1], r.Parts[0] },
			"sealed attrs":  func(r *envelope.Record) { r.Meta[len(r.Meta)-1] ^= 1 },
			"key":           func(r *envelope.Record) { r.Key = "p" },
			"creation time": func(r *envelope.Record) { r.Created = r.Created.Add(1) },
		}
		for name, edit := range edits {
			r2 := *rec
			r2.Parts = append([]envelope.RecordPart(nil), rec.Parts...)
			r2.Meta = bytes.Clone(rec.Meta)
			edit(&r2)
			enc, err := r2.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			m := orig.Clone()
			m[mRecord] = b64.EncodeToString(append(enc, rb[msgLen:]...))
			setMeta("o", m)
			refused(t, s, "bkt", "o", "record "+name+" edited")
		}
		for _, name := range []string{mHeader, mTable} {
			m := orig.Clone()
			v, _ := b64.DecodeString(m[name])
			v[len(v)-1] ^= 1
			m[name] = b64.EncodeToString(v)
			setMeta("o", m)
			refused(t, s, "bkt", "o", name+" edited")
		}
		restore("o", orig)
		if _, err := s.GetObject(ctx, "bkt", "o"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("older record put back under another object", func(t *testing.T) {
		// Metadata sealed for one record does not open in another, even
		// for the same key: the write ID binds it.
		before := statMeta(t, s, "bkt", "a").Meta
		put(t, s, "bkt", "a", []byte("second version"))
		after := statMeta(t, s, "bkt", "a").Meta
		ra, _ := b64.DecodeString(before[mRecord])
		rb, _ := b64.DecodeString(after[mRecord])
		r1, _ := envelope.ParseSignedRecordUnauthenticated(ra)
		r2, _ := envelope.ParseSignedRecordUnauthenticated(rb)
		r2.Meta = r1.Meta
		enc, _ := r2.Marshal()
		m := after.Clone()
		m[mRecord] = b64.EncodeToString(append(enc, rb[len(rb)-envelope.SignatureSize:]...))
		setMeta("a", m)
		refused(t, s, "bkt", "a", "attributes of an older version spliced in")
	})
}

// An object encrypted to the gateway's public recipient and planted on the
// volume, as a v1 object (no signature) or as a v2 object signed by the
// attacker's own key, is refused.
func TestPlantedObjectRefused(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	mustBucket(t, s, "bkt")
	attacker := e.service(func(c *Config) {
		c.Identities = nil
		c.Recipients = []envelope.Recipient{e.id.Recipient()}
		k, _ := envelope.GenerateSigningKey()
		c.SigningKey = k
		c.StateKey = make([]byte, StateKeySize) // not the gateway's
	})
	evil := []byte("attacker's backup")
	put(t, attacker, "bkt", "planted", evil)
	refused(t, s, "bkt", "planted", "object signed by an untrusted key")

	// v1: the format of before signatures, all in clear.
	hdr, key, err := envelope.NewHeader([]envelope.Recipient{e.id.Recipient()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := hdr.MarshalBinary()
	w, err := s.be.NewObject(context.Background(), "bkt", "v1")
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := key.NewPartWriter(w, 1)
	pw.Write(evil)
	pw.Close()
	tb, _ := key.SealTable([]envelope.PartInfo{pw.Info()})
	sum := sha256.Sum256(evil)
	if _, err := w.Commit(backend.Meta{mVersion: metaVersion, mHeader: b64.EncodeToString(hb), mTable: b64.EncodeToString(tb),
		mSize: strconv.Itoa(len(evil)), mETag: md5hex(evil), "c.SHA256": b64.EncodeToString(sum[:])}); err != nil {
		t.Fatal(err)
	}
	refused(t, s, "bkt", "v1", "unsigned v1 object")
	// Read with InsecureSkipSigner, the v1 object is served (v1 stays readable).
	insecure := e.service(func(c *Config) { c.InsecureSkipSigner = true })
	if got := readAll(t, insecure, "bkt", "v1"); !bytes.Equal(got, evil) {
		t.Fatal("v1 object not readable with InsecureSkipSigner")
	}
}

// A bucket's directory replaced by one that another gateway (another
// signing key, another state key) wrote, with the same names.
func TestBucketDirectoryReplacedRefused(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	mustBucket(t, s, "bkt")
	put(t, s, "bkt", "k", []byte("genuine"))

	other := newEnv(t)
	other.id = e.id // same recipients: the attacker only lacks the signing key
	so := other.service(nil)
	mustBucket(t, so, "bkt")
	put(t, so, "bkt", "k", []byte("from another gateway"))

	dir := filepath.Join(e.dir, "buckets", "bkt")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(other.dir, "buckets", "bkt"), dir); err != nil {
		t.Fatal(err)
	}
	s = e.service(nil) // no cached directory listings
	refused(t, s, "bkt", "k", "bucket directory from another gateway")
	// Listing shows the object (names and sizes are not secret) but no
	// attribute of it: they do not open under this gateway's metadata key.
	out, err := s.ListObjects(context.Background(), &s3api.ListObjectsInput{Bucket: "bkt"})
	if err != nil || len(out.Objects) != 1 || out.Objects[0].ETag != "" {
		t.Fatalf("listing: %+v %v", out, err)
	}
}
