package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestSampleProc(t *testing.T) {
	buf := make([]byte, 32<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	s, err := sampleProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.hwm < 32<<20 || s.rchar <= 0 || s.cpuSeconds < 0 {
		t.Errorf("implausible sample %+v", s)
	}
	if err := resetPeakRSS(os.Getpid()); err != nil {
		t.Logf("clear_refs not writable here: %v", err)
	}
}

// TestSinkStoresWhatItGets drives the sink with the benchmark's client:
// a multipart upload lands as its parts, byte for byte, and a single PUT
// as one file.
func TestSinkStoresWhatItGets(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"objects", "uploads", "tmp"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	srv := httptest.NewServer(&sink{dir: dir, fsync: true})
	defer srv.Close()
	c, err := newS3(srv.URL, "AK", "SK", 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := newData(1<<20, 1<<20)
	w := workload{objSize: 1 << 20}
	if err := c.createBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	if err := c.multipart(ctx, bucket, "a/b", func(i int) []byte { return d.part(0, i, 1<<20) }, 3); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		got, err := os.ReadFile(filepath.Join(dir, "objects", name("a/b"), "part-"+string(rune('0'+i))))
		if err != nil || !bytes.Equal(got, d.part(0, i, 1<<20)) {
			t.Errorf("part %d: %d bytes, %v", i, len(got), err)
		}
	}
	if err := c.put(ctx, bucket, "single", d.body(w, 0)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "objects", name("single"))); !bytes.Equal(got, d.body(w, 0).data) {
		t.Error("single PUT stored wrong bytes")
	}
	if err := c.get(ctx, bucket, "single", 1<<20); err != nil {
		t.Errorf("GET: %v", err)
	}
	if err := c.del(ctx, bucket, "single"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "objects", name("single"))); !os.IsNotExist(err) {
		t.Errorf("after DELETE: %v", err)
	}
}
