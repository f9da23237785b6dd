package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"envelopegw/envelope"
	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

func TestPutGetRoundTrip(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")

	data := randBytes(3*envelope.DefaultSegmentSize + 12345)
	body := newBody(data, checksum.CRC32C)
	out, err := s.PutObject(ctx, &s3api.PutObjectInput{
		Bucket: "bkt", Key: "dir/obj", Body: body, Size: int64(len(data)),
		Meta: s3api.ObjectMeta{ContentType: "application/x-test", CacheControl: "no-cache", User: map[string]string{"origin": "db1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.ETag != md5hex(data) {
		t.Errorf("ETag %s, want %s", out.ETag, md5hex(data))
	}
	wantCRC := body.Sums().Checksums[checksum.CRC32C]
	if out.Checksums[checksum.CRC32C] != wantCRC {
		t.Errorf("PutObject checksums %v", out.Checksums)
	}

	r, err := s.GetObject(ctx, "bkt", "dir/obj")
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if info.Size != int64(len(data)) || info.ETag != md5hex(data) || info.PartsCount != 0 ||
		info.Meta.ContentType != "application/x-test" || info.Meta.CacheControl != "no-cache" ||
		info.Meta.User["origin"] != "db1" || info.Checksums[checksum.CRC32C] != wantCRC {
		t.Errorf("Info = %+v", info)
	}
	if off, n, err := r.PartRange(1); err != nil || off != 0 || n != int64(len(data)) {
		t.Errorf("PartRange(1) = %d, %d, %v", off, n, err)
	}
	_, _, err = r.PartRange(2)
	wantCode(t, err, "InvalidPartNumber", 416)
	r.Close()

	if got := readAll(t, s, "bkt", "dir/obj"); !bytes.Equal(got, data) {
		t.Fatal("round trip changed the data")
	}
	seg := int64(envelope.DefaultSegmentSize)
	ranges := [][2]int64{{0, 0}, {0, 1}, {seg - 1, 2}, {seg, seg}, {int64(len(data)) - 1, 1}, {5, int64(len(data)) - 5}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		off := rng.Int64N(int64(len(data)))
		ranges = append(ranges, [2]int64{off, rng.Int64N(int64(len(data)) - off + 1)})
	}
	for _, rg := range ranges {
		got, err := readRange(t, s, "bkt", "dir/obj", rg[0], rg[1])
		if err != nil {
			t.Fatalf("range %v: %v", rg, err)
		}
		if !bytes.Equal(got, data[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("range %v: wrong bytes", rg)
		}
	}
	if _, err := readRange(t, s, "bkt", "dir/obj", int64(len(data)), 1); err == nil {
		t.Error("a range past the end was served")
	}

	// Empty objects round-trip too.
	put(t, s, "bkt", "empty", nil)
	if got := readAll(t, s, "bkt", "empty"); len(got) != 0 {
		t.Errorf("empty object read back %d bytes", len(got))
	}

	list, err := s.ListObjects(ctx, &s3api.ListObjectsInput{Bucket: "bkt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Objects) != 2 || list.Objects[0].Key != "dir/obj" || list.Objects[0].Size != int64(len(data)) ||
		list.Objects[0].ETag != md5hex(data) || list.Objects[1].Key != "empty" || list.Objects[1].Size != 0 {
		t.Errorf("listing = %+v", list.Objects)
	}
}

// TestMetaLayout pins the documented metadata names that offline tools
// read.
func TestMetaLayout(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	mustBucket(t, s, "bkt")
	data := []byte("hello, layout")
	_, err := s.PutObject(context.Background(), &s3api.PutObjectInput{
		Bucket: "bkt", Key: "k", Body: newBody(data, checksum.SHA256), Size: int64(len(data)),
		Meta: s3api.ObjectMeta{ContentType: "text/plain", User: map[string]string{"a": "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.be.Stat(context.Background(), "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	m := st.Meta
	if len(m) != 4 || m["egw"] != "2" || m["h"] == "" || m["t"] == "" || m["r"] == "" {
		t.Errorf("stored metadata names: %v, want egw=2, h, t, r", m)
	}
	rb, _ := b64.DecodeString(m["r"])
	rec, err := envelope.OpenSignedRecord(rb, envelope.Signers{e.signer.Public()})
	if err != nil || rec.Bucket != "bkt" || rec.Key != "k" || rec.Size != 13 || len(rec.Parts) != 1 {
		t.Fatalf("meta r: %+v, %v", rec, err)
	}
	mk, err := rec.UnwrapMetaKeyGateway(s.metaKey)
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := mk.OpenMeta(rec)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"e": md5hex(data), "ct": "text/plain", "u": `{"a":"1"}`} {
		if attrs[k] != want {
			t.Errorf("sealed attribute %q = %q, want %q", k, attrs[k], want)
		}
	}
	hb, err := b64.DecodeString(m["h"])
	if err != nil {
		t.Fatal(err)
	}
	h, err := envelope.ParseHeader(hb)
	if err != nil {
		t.Fatalf("meta h is not an envelope header: %v", err)
	}
	key, err := h.Unwrap(e.id)
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := b64.DecodeString(m["t"])
	table, err := key.OpenTable(tb)
	if err != nil || table.Size() != 13 || len(table.Parts) != 1 || table.Parts[0].Number != 1 {
		t.Fatalf("meta t: %+v, %v", table, err)
	}
	if attrs["c.SHA256"] == "" {
		t.Error("sealed attribute c.SHA256 missing")
	}
	if err := rec.Check("bkt", "k", hb, tb); err != nil {
		t.Error(err)
	}
	if st.Size != envelope.CiphertextSize(13, h.SegmentSize()) {
		t.Errorf("stored %d bytes, want the part body alone (%d)", st.Size, envelope.CiphertextSize(13, h.SegmentSize()))
	}
}

func TestBodyFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	old := put(t, s, "bkt", "k", []byte("old contents"))

	data := randBytes(3 << 20)
	body := newBody(data)
	body.failAfter, body.failErr = 2<<20, s3api.ErrBadDigest
	_, err := s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: body, Size: int64(len(data))})
	wantCode(t, err, "BadDigest", 400)

	body = newBody(data)
	body.failAfter, body.failErr = 1<<20, io.ErrUnexpectedEOF
	_, err = s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: body, Size: int64(len(data))})
	wantCode(t, err, "IncompleteBody", 400)

	// A body shorter than declared.
	_, err = s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "k", Body: newBody(data[:10]), Size: 11})
	wantCode(t, err, "IncompleteBody", 400)

	r, err := s.GetObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	if r.Info().ETag != old.ETag {
		t.Error("a failed PUT replaced the object")
	}
	r.Close()
	if got := readAll(t, s, "bkt", "k"); string(got) != "old contents" {
		t.Errorf("object now reads %q", got)
	}
	_, err = s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "new", Body: body, Size: -1})
	if err == nil {
		t.Fatal("failing body accepted")
	}
	if _, err := s.GetObject(ctx, "bkt", "new"); !errors.Is(err, s3api.ErrNoSuchKey) {
		t.Errorf("after a failed PUT: %v, want NoSuchKey", err)
	}
}

func TestErrorMapping(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")

	_, err := s.GetObject(ctx, "bkt", "missing")
	wantCode(t, err, "NoSuchKey", 404)
	_, err = s.GetObject(ctx, "nobucket", "k")
	wantCode(t, err, "NoSuchBucket", 404)
	wantCode(t, s.HeadBucket(ctx, "nobucket"), "NoSuchBucket", 404)
	wantCode(t, s.CreateBucket(ctx, "bkt"), "BucketAlreadyOwnedByYou", 409)
	wantCode(t, s.CreateBucket(ctx, "Bad_Name!"), "InvalidBucketName", 400)
	_, err = s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "nobucket", Key: "k", Body: newBody([]byte("x")), Size: 1})
	wantCode(t, err, "NoSuchBucket", 404)
	_, err = s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: strings.Repeat("k", 1025), Body: newBody([]byte("x")), Size: 1})
	wantCode(t, err, "KeyTooLongError", 400)
	_, err = s.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: "big", Body: newBody(nil), Size: 6 << 30})
	wantCode(t, err, "EntityTooLarge", 400)

	if err := s.DeleteObject(ctx, "bkt", "missing"); err != nil {
		t.Errorf("deleting a missing key: %v, want success as in S3", err)
	}
	wantCode(t, s.DeleteObject(ctx, "nobucket", "k"), "NoSuchBucket", 404)
	put(t, s, "bkt", "k", []byte("x"))
	wantCode(t, s.DeleteBucket(ctx, "bkt"), "BucketNotEmpty", 409)
	if err := s.DeleteObject(ctx, "bkt", "k"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	bs, err := s.ListBuckets(ctx)
	if err != nil || len(bs) != 0 {
		t.Errorf("ListBuckets = %v, %v", bs, err)
	}
}

// TestTamperedCiphertext flips one stored byte: the read must fail with an
// authentication error, never return altered plaintext.
func TestTamperedCiphertext(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	s := e.service(func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	mustBucket(t, s, "bkt")
	data := randBytes(200 << 10)
	put(t, s, "bkt", "k", data)

	var body storedBody
	for _, sb := range storedBodies(t, e.dir) {
		if sb.size == envelope.CiphertextSize(int64(len(data)), envelope.DefaultSegmentSize) {
			body = sb
		}
	}
	if body.path == "" {
		t.Fatal("no stored body of the object's ciphertext size")
	}
	flipStored(t, body, body.size-100, 1)
	// The first segment still verifies; the last one must not.
	got, err := readRange(t, s, "bkt", "k", 0, 1000)
	if err != nil || !bytes.Equal(got, data[:1000]) {
		t.Fatalf("untouched segment: %v", err)
	}
	_, err = readRange(t, s, "bkt", "k", 0, int64(len(data)))
	if !errors.Is(err, envelope.ErrAuth) {
		t.Fatalf("reading tampered ciphertext: %v, want ErrAuth", err)
	}
	if !strings.Contains(logs.String(), "failed verification") || !strings.Contains(logs.String(), "key=k") {
		t.Errorf("the failure was not logged for the operator:\n%s", logs.String())
	}
	// The same through WriteTo, the path an HTTP response takes.
	r, err := s.GetObject(context.Background(), "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := r.ReadRange(0, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var sink bytes.Buffer
	if _, err := io.Copy(&sink, rc); !errors.Is(err, envelope.ErrAuth) {
		t.Fatalf("WriteTo of tampered ciphertext: %v, want ErrAuth", err)
	}
	if !bytes.Equal(sink.Bytes(), data[:sink.Len()]) || sink.Len() == len(data) {
		t.Errorf("WriteTo released %d bytes that are not a verified prefix", sink.Len())
	}
	rc.Close()
	r.Close()

	// A truncated body never reads as a clean, shorter object (inline, the
	// record after it goes too: a damaged head).
	if err := os.Truncate(body.path, body.off+body.size-1); err != nil {
		t.Fatal(err)
	}
	if _, err := readRange(t, s, "bkt", "k", 0, int64(len(data))); err == nil {
		t.Fatal("reading a truncated body succeeded")
	}
}

// TestCiphertextOnlyOnDisk writes a recognizable marker through every write
// path and checks that no file under the data directory contains it.
func TestCiphertextOnlyOnDisk(t *testing.T) {
	e := newEnv(t)
	s := e.service(func(c *Config) { c.SegmentSize = 4096 })
	s.minPartSize = 1
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	marker := []byte("MARKER-7f3a9c-PLAINTEXT-MUST-NOT-LAND-ON-DISK")
	data := bytes.Repeat(marker, 5000)

	put(t, s, "bkt", "single", data)
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "multi"})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: "multi", UploadID: id, PartNumber: 1, Body: newBody(data), Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := s.UploadPartCopy(ctx, &s3api.UploadPartCopyInput{Bucket: "bkt", Key: "multi", UploadID: id, PartNumber: 2, SrcBucket: "bkt", SrcKey: "single"})
	if err != nil {
		t.Fatal(err)
	}
	// An unfinished upload's parts are on disk too.
	id2, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "pending"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: "pending", UploadID: id2, PartNumber: 1, Body: newBody(data), Size: -1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "multi", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 2, ETag: p2.ETag}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CopyObject(ctx, &s3api.CopyObjectInput{SrcBucket: "bkt", SrcKey: "multi", DstBucket: "bkt", DstKey: "copy"}); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "bkt", "copy"); !bytes.Equal(got, append(append([]byte{}, data...), data...)) {
		t.Fatal("copy of the multipart object reads back wrong")
	}

	files := dataFiles(t, e.dir)
	if len(files) < 4 {
		t.Fatalf("only %d files under the data dir", len(files))
	}
	// Part of the marker suffices: a segment boundary could split it.
	probe := marker[:16]
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, probe) {
			rel, _ := filepath.Rel(e.dir, f)
			t.Errorf("plaintext found in %s", rel)
		}
	}
}
