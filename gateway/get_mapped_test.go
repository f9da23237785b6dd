package gateway

import (
	"bytes"
	"context"
	"os"
	"testing"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// readCounting counts the bytes its objects serve through ReadAt and
// passes posix's ExtentFile through, as the metrics wrapper does.
type readCounting struct {
	backend.Backend
	read *int64
}

func (b readCounting) Open(ctx context.Context, bucket, key string) (backend.Object, error) {
	o, err := b.Backend.Open(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	return readCountingObject{o, b.read}, nil
}

type readCountingObject struct {
	backend.Object
	read *int64
}

func (o readCountingObject) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.Object.ReadAt(p, off)
	*o.read += int64(n)
	return n, err
}

func (o readCountingObject) ExtentFile(off int64, fn func(*os.File, int64, int64, int64)) bool {
	return o.Object.(interface {
		ExtentFile(int64, func(*os.File, int64, int64, int64)) bool
	}).ExtentFile(off, fn)
}

// A GET of a multipart object maps each part's data file: every batch of
// segments lies in one part's file, so no part data is copied through
// ReadAt, and the object reads back exactly, whole and in ranges across
// part boundaries.
func TestGetMultipartMapped(t *testing.T) {
	e := newEnv(t)
	var read int64
	s := e.service(func(c *Config) { c.Backend = readCounting{c.Backend, &read} })
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "mp"})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{randBytes(5 << 20), randBytes(5<<20 + 7), randBytes(3<<20 + 1234)}
	var done []s3api.CompletedPart
	for i, p := range parts {
		o := uploadPart(t, s, "bkt", "mp", id, i+1, p)
		done = append(done, s3api.CompletedPart{PartNumber: i + 1, ETag: o.ETag})
	}
	if _, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "mp", UploadID: id, Parts: done}); err != nil {
		t.Fatal(err)
	}
	all := bytes.Join(parts, nil)
	for _, r := range [][2]int64{{0, int64(len(all))}, {5<<20 - 3, 6 << 20}, {10<<20 + 7 - 100, 2 << 20}} {
		read = 0
		got, err := readRange(t, s, "bkt", "mp", r[0], r[1])
		if err != nil || !bytes.Equal(got, all[r[0]:r[0]+r[1]]) {
			t.Fatalf("range %d+%d: %v, equal %v", r[0], r[1], err, bytes.Equal(got, all[r[0]:r[0]+r[1]]))
		}
		// Heads and tables may be read; no segment is.
		if read >= 64<<10 {
			t.Errorf("range %d+%d: %d bytes read with ReadAt", r[0], r[1], read)
		}
	}
}
