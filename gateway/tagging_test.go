package gateway

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"envelopegw/s3api"
)

func objectTags(t *testing.T, s *Service, bucket, key string) (string, *s3api.ObjectInfo) {
	t.Helper()
	r, err := s.GetObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := *r.Info()
	return fmt.Sprint(info.Tags), &info
}

func TestObjectTags(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	data := randBytes(70000)
	tags := []s3api.Tag{{Key: "kind", Value: "full"}, {Key: "a", Value: ""}}
	if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: newBody(data), Size: int64(len(data)), Tags: tags}); err != nil {
		t.Fatal(err)
	}
	got, before := objectTags(t, s, "bkt", "k")
	if got != "[{kind full} {a }]" {
		t.Fatalf("tags after PutObject: %s", got)
	}

	// PutObjectTagging rewrites metadata only: same data files, same
	// ETag, same Last-Modified, data still reads back.
	files := bodyInodes(t, e.dir)
	time.Sleep(10 * time.Millisecond) // a rewrite would show a later time
	if err := s.PutObjectTagging(ctx, "bkt", "k", []s3api.Tag{{Key: "kind", Value: "incremental"}}); err != nil {
		t.Fatal(err)
	}
	got, after := objectTags(t, s, "bkt", "k")
	if got != "[{kind incremental}]" {
		t.Errorf("tags after PutObjectTagging: %s", got)
	}
	if after.ETag != before.ETag || !after.LastModified.Equal(before.LastModified) {
		t.Errorf("PutObjectTagging changed ETag or Last-Modified: %v %v -> %v %v", before.ETag, before.LastModified, after.ETag, after.LastModified)
	}
	if after := bodyInodes(t, e.dir); len(files) == 0 || files != after {
		t.Errorf("PutObjectTagging rewrote data files")
	}
	page, err := s.ListObjects(ctx, &s3api.ListObjectsInput{Bucket: "bkt"})
	if err != nil || len(page.Objects) != 1 || !page.Objects[0].LastModified.Equal(before.LastModified) {
		t.Errorf("listing after PutObjectTagging: %+v, %v", page, err)
	}
	if !bytes.Equal(readAll(t, s, "bkt", "k"), data) {
		t.Fatal("object reads back wrong after PutObjectTagging")
	}
	if err := s.PutObjectTagging(ctx, "bkt", "k", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := objectTags(t, s, "bkt", "k"); got != "[]" {
		t.Errorf("tags after delete: %s", got)
	}
	wantCode(t, s.PutObjectTagging(ctx, "bkt", "missing", nil), "NoSuchKey", 404)
	wantCode(t, s.PutObjectTagging(ctx, "nope", "k", nil), "NoSuchBucket", 404)
}

// bodyInodes lists the inodes that hold the stored object bytes: a
// rewrite of the bytes makes a new file, while a metadata change may only
// link the same file under another name (posix SetMeta on an inline head).
func bodyInodes(t *testing.T, dir string) string {
	var out []string
	for _, sb := range storedBodies(t, dir) {
		if st, err := os.Stat(sb.path); err == nil {
			out = append(out, fmt.Sprint(st.Sys().(*syscall.Stat_t).Ino))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestCopyAndMultipartTags(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	data := []byte("tagged")
	if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "src", Body: newBody(data), Size: int64(len(data)), Tags: []s3api.Tag{{Key: "a", Value: "1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutObjectTagging(ctx, "bkt", "src", []s3api.Tag{{Key: "a", Value: "2"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dst  string
		in   s3api.CopyObjectInput
		want string
	}{
		{"copy", s3api.CopyObjectInput{}, "[{a 2}]"},
		{"replace", s3api.CopyObjectInput{ReplaceTags: true, Tags: []s3api.Tag{{Key: "b", Value: "3"}}}, "[{b 3}]"},
		{"clear", s3api.CopyObjectInput{ReplaceTags: true}, "[]"},
	} {
		in := c.in
		in.SrcBucket, in.SrcKey, in.DstBucket, in.DstKey = "bkt", "src", "bkt", c.dst
		out, err := s.CopyObject(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		got, info := objectTags(t, s, "bkt", c.dst)
		if got != c.want {
			t.Errorf("%s: tags %s, want %s", c.dst, got, c.want)
		}
		// A copy is a new write with its own Last-Modified.
		if !info.LastModified.Equal(out.LastModified) {
			t.Errorf("%s: Last-Modified %v, copy answered %v", c.dst, info.LastModified, out.LastModified)
		}
	}

	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "mp", Tags: []s3api.Tag{{Key: "m", Value: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	p := uploadPart(t, s, "bkt", "mp", id, 1, []byte("only part"))
	if _, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "mp", UploadID: id, Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: p.ETag}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := objectTags(t, s, "bkt", "mp"); got != "[{m p}]" {
		t.Errorf("multipart tags %s", got)
	}
}

// TestTaggingRacesWrites runs PutObjectTagging against PutObject of the
// same key: every tagging call succeeds or answers an S3 error, and the
// object always reads back as one of the written versions.
func TestTaggingRacesWrites(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	versions := [][]byte{randBytes(1000), randBytes(2000)}
	put(t, s, "bkt", "k", versions[0])
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 30 {
			v := versions[i%2]
			if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: newBody(v), Size: int64(len(v))}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 30 {
			if err := s.PutObjectTagging(ctx, "bkt", "k", []s3api.Tag{{Key: "n", Value: fmt.Sprint(i)}}); err != nil {
				if s3api.AsError(err) == s3api.ErrInternalError {
					t.Errorf("PutObjectTagging: %v", err)
				}
			}
		}
	}()
	wg.Wait()
	got := readAll(t, s, "bkt", "k")
	if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
		t.Fatal("object is neither written version")
	}
}
