package gateway

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"os"
	"testing"

	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// TestVolumeLeaksNothing uploads objects with known plaintext, checksums
// and metadata (single-part, completed multipart, multipart in progress),
// then searches every byte of the data directory for each digest (hex and
// every base64 flavour) and each metadata value: none may be there.
func TestVolumeLeaksNothing(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	s.minPartSize = 1
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	secrets := map[string][]byte{} // what must not appear -> why
	addDigest := func(what string, d []byte) {
		secrets[what+" hex"] = []byte(hex.EncodeToString(d))
		for name, enc := range map[string]*base64.Encoding{"std": base64.StdEncoding, "raw": base64.RawStdEncoding, "url": base64.URLEncoding, "rawurl": base64.RawURLEncoding} {
			secrets[what+" base64 "+name] = []byte(enc.EncodeToString(d))
		}
		if len(d) >= 8 { // a 4-byte CRC occurs in random bytes now and then
			secrets[what+" raw"] = d
		}
	}
	meta := s3api.ObjectMeta{ContentType: "application/x-secret-type", ContentDisposition: "attachment; filename=payroll-2026.csv",
		User: map[string]string{"owner": "alice-the-dba", "purpose": "quarterly-payroll-backup"}}
	for _, v := range []string{meta.ContentType, meta.ContentDisposition, "alice-the-dba", "quarterly-payroll-backup", "owner", "purpose"} {
		secrets["metadata "+v] = []byte(v)
	}
	object := func(label string, plain []byte, algs ...string) *testBody {
		sum := md5.Sum(plain)
		addDigest(label+" MD5", sum[:])
		for _, a := range checksum.Algorithms {
			h, _ := checksum.New(a)
			h.Write(plain)
			addDigest(label+" "+a, h.Sum(nil))
		}
		return newBody(plain, algs...)
	}

	// Single-part, every checksum algorithm across objects.
	for i, alg := range checksum.Algorithms {
		plain := bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
		secrets["plaintext "+alg] = plain[:64]
		body := object("put "+alg, plain, alg)
		if _, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "put-" + alg, Body: body, Size: int64(len(plain)), Meta: meta}); err != nil {
			t.Fatal(err)
		}
	}
	// A 1-byte object: its ETag would give the byte away by trial.
	put(t, s, "bkt", "one-byte", []byte{0x5a})
	addDigest("one-byte MD5", md5Sum([]byte{0x5a}))

	// Multipart: one completed, one still in progress.
	for _, key := range []string{"done", "open"} {
		id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: key, Meta: meta, ChecksumAlgorithm: checksum.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		var parts []s3api.CompletedPart
		var md5s []byte
		for n := 1; n <= 2; n++ {
			plain := bytes.Repeat([]byte(key+string(rune('0'+n))), 700)
			body := object(key+" part", plain, checksum.SHA256)
			out, err := s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: key, UploadID: id, PartNumber: n, Body: body, Size: int64(len(plain))})
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, s3api.CompletedPart{PartNumber: n, ETag: out.ETag, Checksums: out.Checksums})
			md5s = append(md5s, md5Sum(plain)...)
		}
		if key == "done" {
			out, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: key, UploadID: id, Parts: parts})
			if err != nil {
				t.Fatal(err)
			}
			etag, _ := hex.DecodeString(out.ETag[:32])
			addDigest("multipart ETag", etag)
			cs, _ := checksum.Decode(checksum.SHA256, out.Checksums[checksum.SHA256])
			addDigest("multipart checksum", cs)
		}
		secrets[key+" part MD5 list"] = []byte(base64.StdEncoding.EncodeToString(md5s))
	}

	// The HEAD answers still carry the values (the gateway opens them).
	r, err := s.GetObject(ctx, "bkt", "put-SHA256")
	if err != nil {
		t.Fatal(err)
	}
	if i := r.Info(); i.Meta.User["owner"] != "alice-the-dba" || i.Checksums[checksum.SHA256] == "" || len(i.ETag) != 32 {
		t.Fatalf("HEAD lost the attributes: %+v", i)
	}
	r.Close()

	files := dataFiles(t, e.dir)
	if len(files) < 10 {
		t.Fatalf("only %d files on the volume", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for what, v := range secrets {
			if len(v) >= 4 && bytes.Contains(b, v) {
				t.Errorf("%s found in %s", what, f)
			}
		}
	}
}

func md5Sum(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}
