package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"envelopegw/backend"
	"envelopegw/backend/posix"
	"envelopegw/envelope"
	"envelopegw/gateway"
	"envelopegw/s3api"
)

func scrubRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := scrubMain(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestScrub(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	be, err := posix.New(data, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := envelope.GenerateIdentity("")
	sk, _ := envelope.GenerateSigningKey()
	signer := filepath.Join(dir, "signer.pub")
	os.WriteFile(signer, []byte(sk.Public().String()+"\n"), 0o644)
	svc, err := gateway.New(gateway.Config{Backend: be, Recipients: []envelope.Recipient{id.Recipient()}, SigningKey: sk, StateKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	svc.CreateBucket(ctx, "bkt")
	putObj := func(s *gateway.Service, key string, v []byte) {
		t.Helper()
		sum := md5.Sum(v)
		if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: key, Body: &md5Body{bytes.NewReader(v), sum[:]}, Size: int64(len(v))}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"a", "b", "victim"} {
		putObj(svc, k, bytes.Repeat([]byte(k), 200000))
	}
	out, summary, err := scrubRun(t, "--data", data, "--signer", signer)
	if err != nil || out != "" || !strings.Contains(summary, "scrubbed 3 objects") {
		t.Fatalf("clean volume: %v\n%s%s", err, out, summary)
	}
	if _, _, err := scrubRun(t, "--data", data); err == nil || !strings.Contains(err.Error(), "--signer") {
		t.Fatalf("no signer: %v", err)
	}

	// Bit rot in one stored byte of victim: find its data file by content.
	var victim string
	obj, _ := be.Open(ctx, "bkt", "victim")
	want := make([]byte, 64)
	obj.ReadAt(want, 1000)
	obj.Close()
	var at int
	filepath.WalkDir(filepath.Join(data, "buckets", "bkt"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			if i := bytes.Index(b, want); i >= 0 {
				victim, at = p, i+32 // a data file, or a head holding the data (inline)
			}
		}
		return nil
	})
	b, _ := os.ReadFile(victim)
	b[at] ^= 0x01
	os.WriteFile(victim, b, 0o600)

	// Files copied to another key; an object signed by a stranger; a v1
	// object; an abandoned upload.
	copyRaw(t, be, "b", "copy-of-b")
	stranger, _ := envelope.GenerateSigningKey()
	evil, _ := gateway.New(gateway.Config{Backend: be, Recipients: []envelope.Recipient{id.Recipient()}, SigningKey: stranger, StateKey: make([]byte, 32)})
	putObj(evil, "planted", []byte("attacker data"))
	w, _ := be.NewObject(ctx, "bkt", "v1")
	w.Write([]byte("x"))
	if _, err := w.Commit(backend.Meta{"egw": "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "abandoned"}); err != nil {
		t.Fatal(err)
	}

	out, summary, err = scrubRun(t, "--data", data, "--signer", signer, "--upload-max-age", "1ns")
	if err == nil {
		t.Fatalf("problems not reported by the exit status\n%s%s", out, summary)
	}
	for _, want := range []string{
		"damaged  bkt/victim: part 1",
		"forged   bkt/copy-of-b: the record was signed for bkt/b",
		"forged   bkt/planted: ",
		"forged   bkt/v1: format v1",
		"orphaned bkt/abandoned: multipart upload",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrub output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "bkt/a:") || strings.Contains(out, "bkt/b:") {
		t.Errorf("sound objects reported:\n%s", out)
	}
	if !strings.Contains(summary, "1 damaged, 3 forged, 1 orphaned") {
		t.Errorf("summary: %s", summary)
	}
}

func copyRaw(t *testing.T, be backend.Backend, src, dst string) {
	t.Helper()
	ctx := context.Background()
	o, err := be.Open(ctx, "bkt", src)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	w, _ := be.NewObject(ctx, "bkt", dst)
	io.Copy(w, io.NewSectionReader(o, 0, o.Info().Size))
	if _, err := w.Commit(o.Info().Meta); err != nil {
		t.Fatal(err)
	}
}

func TestDisplayKey(t *testing.T) {
	for stored, want := range map[string]string{
		"backups/day1/chunk.0":       "backups/day1/chunk.0",
		"\x00vdb/chunk\x00abc123":    "db/chunk (version abc123)",
		"evil\x1b[2Jkey":             `"evil\x1b[2Jkey"`,
		"\x00vevil\x1b]0;x\x00v1":    `"evil\x1b]0;x" (version v1)`,
		"caf\u00e9/\u65e5\u672c.txt": "caf\u00e9/\u65e5\u672c.txt",
	} {
		if got := displayKey(stored); got != want {
			t.Errorf("displayKey(%q) = %s, want %s", stored, got, want)
		}
	}
}
