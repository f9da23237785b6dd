package testharness

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/tags"
)

// TestMinioTagging: minio-go's tag calls — UserTags on a single PUT and on
// a multipart upload, StatObject's tag count, Put/Get/RemoveObjectTagging.
func TestMinioTagging(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	mc := MinioClient(t, g)
	cx := context.Background()
	b := "minio-tags"
	if err := mc.MakeBucket(cx, b, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	small := []byte("incremental backup")
	if _, err := mc.PutObject(cx, b, "small", bytes.NewReader(small), int64(len(small)),
		minio.PutObjectOptions{UserTags: map[string]string{"kind": "incremental", "db": "maria db"}}); err != nil {
		t.Fatalf("PutObject with UserTags: %v", err)
	}
	big := bytes.Repeat([]byte("full backup "), (6<<20)/12+1)
	if _, err := mc.PutObject(cx, b, "big", bytes.NewReader(big), int64(len(big)),
		minio.PutObjectOptions{UserTags: map[string]string{"kind": "full"}, PartSize: 5 << 20}); err != nil {
		t.Fatalf("multipart PutObject with UserTags: %v", err)
	}
	for key, want := range map[string]map[string]string{
		"small": {"kind": "incremental", "db": "maria db"},
		"big":   {"kind": "full"},
	} {
		got, err := mc.GetObjectTagging(cx, b, key, minio.GetObjectTaggingOptions{})
		if err != nil {
			t.Fatalf("GetObjectTagging %s: %v", key, err)
		}
		if m := got.ToMap(); len(m) != len(want) || m["kind"] != want["kind"] || m["db"] != want["db"] {
			t.Errorf("%s: tags %v, want %v", key, m, want)
		}
		st, err := mc.StatObject(cx, b, key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatalf("StatObject %s: %v", key, err)
		}
		if key == "big" && !strings.HasSuffix(st.ETag, "-2") {
			t.Errorf("big was not a 2-part upload: ETag %s", st.ETag)
		}
		if st.UserTagCount != len(want) {
			t.Errorf("%s: tag count %d, want %d", key, st.UserTagCount, len(want))
		}
	}
	nt, err := tags.NewTags(map[string]string{"kind": "full", "verified": "yes"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.PutObjectTagging(cx, b, "small", nt, minio.PutObjectTaggingOptions{}); err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	if got, err := mc.GetObjectTagging(cx, b, "small", minio.GetObjectTaggingOptions{}); err != nil || got.ToMap()["verified"] != "yes" || len(got.ToMap()) != 2 {
		t.Errorf("after PutObjectTagging: %v, %v", got, err)
	}
	if err := mc.RemoveObjectTagging(cx, b, "small", minio.RemoveObjectTaggingOptions{}); err != nil {
		t.Fatalf("RemoveObjectTagging: %v", err)
	}
	if got, err := mc.GetObjectTagging(cx, b, "small", minio.GetObjectTaggingOptions{}); err != nil || len(got.ToMap()) != 0 {
		t.Errorf("after RemoveObjectTagging: %v, %v", got, err)
	}
	// The data is what was uploaded, tags or not.
	o, err := mc.GetObject(cx, b, "big", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(o); err != nil || !bytes.Equal(buf.Bytes(), big) {
		t.Errorf("big object reads back wrong (%d bytes, %v)", buf.Len(), err)
	}
}
