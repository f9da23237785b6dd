package gateway

import (
	"bytes"
	"context"
	"os"
	"testing"

	"envelopegw/envelope"
	"envelopegw/s3api"
)

// twoPartObject completes bkt/o from a 1000-byte part and a last part p2.
func twoPartObject(t *testing.T, s *Service, p2 []byte) {
	t.Helper()
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "o"})
	if err != nil {
		t.Fatal(err)
	}
	o1 := uploadPart(t, s, "bkt", "o", id, 1, bytes.Repeat([]byte("A"), 1000))
	o2 := uploadPart(t, s, "bkt", "o", id, 2, p2)
	if _, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "o", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2.ETag}}}); err != nil {
		t.Fatal(err)
	}
}

// corruptEmptyBodies zeroes every stored part body that holds no plaintext
// (salt and one empty segment).
func corruptEmptyBodies(t *testing.T, dir string) {
	t.Helper()
	found := false
	for _, sb := range storedBodies(t, dir) {
		all, err := os.ReadFile(sb.path)
		if err != nil {
			t.Fatal(err)
		}
		b := all[sb.off : sb.off+sb.size] // the body: a data file, or a range of an inline head
		// A multipart part starts with its own header.
		off := 0
		if h, err := envelope.ReadHeader(bytes.NewReader(b)); err == nil {
			off = h.Size()
		}
		if int64(len(b)-off) == envelope.CiphertextSize(0, envelope.DefaultSegmentSize) {
			clear(b[off:])
			if err := os.WriteFile(sb.path, all, 0o600); err != nil {
				t.Fatal(err)
			}
			found = true
		}
	}
	if !found {
		t.Fatal("no empty part body on disk to corrupt")
	}
}

// A whole-object read authenticates empty part bodies before the first
// byte: an HTTP response reads exactly the object's length and never asks
// for io.EOF, where the check used to happen.
func TestEmptyPartBodiesVerifiedBeforeFirstByte(t *testing.T) {
	t.Run("empty last part", func(t *testing.T) {
		e := newEnv(t)
		s := e.service(nil)
		s.minPartSize = 1
		twoPartObject(t, s, nil)
		corruptEmptyBodies(t, e.dir)
		r, err := s.GetObject(context.Background(), "bkt", "o")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if rc, err := r.ReadRange(0, 1000); err == nil {
			rc.Close()
			t.Fatal("whole read of an object with a corrupted empty part was served")
		}
	})
	t.Run("empty object", func(t *testing.T) {
		e := newEnv(t)
		s := e.service(nil)
		mustBucket(t, s, "bkt")
		put(t, s, "bkt", "empty", nil)
		corruptEmptyBodies(t, e.dir)
		r, err := s.GetObject(context.Background(), "bkt", "empty")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if rc, err := r.ReadRange(0, 0); err == nil {
			rc.Close()
			t.Fatal("a corrupted empty object was served")
		}
	})
}
