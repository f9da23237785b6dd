package gateway

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

func uploadPart(t *testing.T, s *Service, bucket, key, id string, n int, data []byte, algs ...string) *s3api.UploadPartOutput {
	t.Helper()
	out, err := s.UploadPart(context.Background(), &s3api.UploadPartInput{
		Bucket: bucket, Key: key, UploadID: id, PartNumber: n, Body: newBody(data, algs...), Size: int64(len(data)),
	})
	if err != nil {
		t.Fatalf("UploadPart %d: %v", n, err)
	}
	return out
}

func multipartETag(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		s := md5.Sum(p)
		cat = append(cat, s[:]...)
	}
	s := md5.Sum(cat)
	return hex.EncodeToString(s[:]) + "-" + strconv.Itoa(len(parts))
}

// TestMultipart uploads real 5 MiB parts out of order, re-sends one,
// completes with a composite CRC32 checksum and reads across part
// boundaries.
func TestMultipart(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	ctx := context.Background()
	mustBucket(t, s, "bkt")

	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{
		Bucket: "bkt", Key: "big", ChecksumAlgorithm: "crc32",
		Meta: s3api.ObjectMeta{ContentType: "application/x-xbstream", User: map[string]string{"host": "db7"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2, p3 := randBytes(5<<20), randBytes(5<<20+7), randBytes(1234)
	stale := randBytes(5 << 20)
	o3 := uploadPart(t, s, "bkt", "big", id, 3, p3, checksum.CRC32)
	o2stale := uploadPart(t, s, "bkt", "big", id, 2, stale, checksum.CRC32)
	o1 := uploadPart(t, s, "bkt", "big", id, 1, p1, checksum.CRC32)
	o2 := uploadPart(t, s, "bkt", "big", id, 2, p2, checksum.CRC32) // re-sent: last wins
	if o2.ETag == o2stale.ETag || o1.ETag != md5hex(p1) {
		t.Fatalf("part ETags %s %s %s", o1.ETag, o2stale.ETag, o2.ETag)
	}

	lp, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: "bkt", Key: "big", UploadID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 3 || lp.Parts[1].ETag != o2.ETag || lp.Parts[1].Size != int64(len(p2)) || lp.ChecksumAlgorithm != "CRC32" || lp.ChecksumType != "COMPOSITE" {
		t.Fatalf("ListParts = %+v", lp)
	}
	lp, err = s.ListParts(ctx, &s3api.ListPartsInput{Bucket: "bkt", Key: "big", UploadID: id, PartNumberMarker: 1, MaxParts: 1})
	if err != nil || len(lp.Parts) != 1 || lp.Parts[0].PartNumber != 2 || !lp.IsTruncated || lp.NextPartNumberMarker != 2 {
		t.Fatalf("ListParts page = %+v, %v", lp, err)
	}
	ups, err := s.ListMultipartUploads(ctx, &s3api.ListUploadsInput{Bucket: "bkt"})
	if err != nil || len(ups.Uploads) != 1 || ups.Uploads[0].UploadID != id || ups.Uploads[0].Key != "big" {
		t.Fatalf("ListMultipartUploads = %+v, %v", ups, err)
	}

	// Clients may send quoted ETags.
	out, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "big", UploadID: id, Parts: []s3api.CompletedPart{
		{PartNumber: 1, ETag: `"` + o1.ETag + `"`, Checksums: o1.Checksums},
		{PartNumber: 2, ETag: o2.ETag, Checksums: o2.Checksums},
		{PartNumber: 3, ETag: o3.ETag, Checksums: o3.Checksums},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := multipartETag(p1, p2, p3); out.ETag != want {
		t.Errorf("ETag %s, want %s", out.ETag, want)
	}
	var digests [][]byte
	for _, p := range [][]byte{p1, p2, p3} {
		h, _ := checksum.New(checksum.CRC32)
		h.Write(p)
		digests = append(digests, h.Sum(nil))
	}
	if want := checksum.Composite(checksum.CRC32, digests); out.Checksums[checksum.CRC32] != want || out.ChecksumType != "COMPOSITE" {
		t.Errorf("checksum %v %s, want %s COMPOSITE", out.Checksums, out.ChecksumType, want)
	}

	data := bytes.Join([][]byte{p1, p2, p3}, nil)
	r, err := s.GetObject(ctx, "bkt", "big")
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if info.Size != int64(len(data)) || info.PartsCount != 3 || info.ETag != out.ETag || info.Meta.ContentType != "application/x-xbstream" ||
		info.Meta.User["host"] != "db7" || info.Checksums[checksum.CRC32] != out.Checksums[checksum.CRC32] || info.ChecksumType != "COMPOSITE" {
		t.Errorf("Info = %+v", info)
	}
	for n, want := range [][2]int64{{0, int64(len(p1))}, {int64(len(p1)), int64(len(p2))}, {int64(len(p1) + len(p2)), int64(len(p3))}} {
		off, size, err := r.PartRange(n + 1)
		if err != nil || off != want[0] || size != want[1] {
			t.Errorf("PartRange(%d) = %d, %d, %v; want %v", n+1, off, size, err, want)
		}
		if got := r.PartChecksums(n + 1); got[checksum.CRC32] != checksum.Encode(digests[n]) {
			t.Errorf("PartChecksums(%d) = %v", n+1, got)
		}
	}
	_, _, err = r.PartRange(4)
	wantCode(t, err, "InvalidPartNumber", 416)
	r.Close()

	if got := readAll(t, s, "bkt", "big"); !bytes.Equal(got, data) {
		t.Fatal("multipart object reads back wrong")
	}
	l, err := s.ListObjects(ctx, &s3api.ListObjectsInput{Bucket: "bkt"})
	if err != nil || len(l.Objects) != 1 || l.Objects[0].Size != int64(len(data)) || l.Objects[0].ETag != out.ETag || l.Objects[0].PartsCount != 3 {
		t.Errorf("listing = %+v, %v", l, err)
	}
	b1 := int64(len(p1))
	b2 := b1 + int64(len(p2))
	for _, rg := range [][2]int64{{b1 - 1, 2}, {b1 - 100000, 300000}, {b2 - 10, 20}, {b1 - 5, int64(len(p2)) + 10}, {0, int64(len(data))}, {b2, int64(len(p3))}} {
		got, err := readRange(t, s, "bkt", "big", rg[0], rg[1])
		if err != nil || !bytes.Equal(got, data[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("range %v across parts: %v", rg, err)
		}
	}
	if _, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: "bkt", Key: "big", UploadID: id}); !errors.Is(err, s3api.ErrNoSuchUpload) {
		t.Errorf("ListParts after Complete: %v, want NoSuchUpload", err)
	}

	// A retried Complete (the first answer was lost) gets the same answer;
	// a different part list does not.
	again, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "big", UploadID: id, Parts: []s3api.CompletedPart{
		{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2.ETag}, {PartNumber: 3, ETag: o3.ETag},
	}})
	if err != nil || again.ETag != out.ETag || again.Checksums[checksum.CRC32] != out.Checksums[checksum.CRC32] {
		t.Errorf("retried Complete = %+v, %v", again, err)
	}
	_, err = s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "big", UploadID: id, Parts: []s3api.CompletedPart{
		{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2stale.ETag}, {PartNumber: 3, ETag: o3.ETag},
	}})
	wantCode(t, err, "NoSuchUpload", 404)
}

// TestMultipartFullObjectChecksum lets the gateway compute the part CRCs
// the client did not send and combine them into a FULL_OBJECT checksum,
// which must equal the CRC of the whole object.
func TestMultipartFullObjectChecksum(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	s.minPartSize = 1000
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k", ChecksumAlgorithm: checksum.CRC64NVME})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{randBytes(70000), randBytes(1000), randBytes(5)}
	var cps []s3api.CompletedPart
	for i, p := range parts {
		o := uploadPart(t, s, "bkt", "k", id, 2*i+1, p) // gaps in numbering are fine
		if o.Checksums[checksum.CRC64NVME] == "" {
			t.Fatalf("part %d: no computed CRC64NVME in %v", i, o.Checksums)
		}
		cps = append(cps, s3api.CompletedPart{PartNumber: 2*i + 1, ETag: o.ETag})
	}
	out, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "k", UploadID: id, Parts: cps})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := checksum.New(checksum.CRC64NVME)
	for _, p := range parts {
		h.Write(p)
	}
	if want := checksum.Encode(h.Sum(nil)); out.Checksums[checksum.CRC64NVME] != want || out.ChecksumType != "FULL_OBJECT" {
		t.Errorf("checksum %v %s, want %s FULL_OBJECT", out.Checksums, out.ChecksumType, want)
	}
	if got := readAll(t, s, "bkt", "k"); !bytes.Equal(got, bytes.Join(parts, nil)) {
		t.Fatal("reads back wrong")
	}
}

// TestCompleteExpectedChecksum checks the whole-object checksum a client
// sends with Complete against the one computed from the parts: a wrong one
// is BadDigest and leaves no object, another algorithm is refused, and the
// right one (with or without a "-N" suffix) completes.
func TestCompleteExpectedChecksum(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	s.minPartSize = 1000
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k", ChecksumAlgorithm: checksum.CRC32, ChecksumType: "FULL_OBJECT"})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{randBytes(3000), randBytes(17)}
	var cps []s3api.CompletedPart
	for i, p := range parts {
		o := uploadPart(t, s, "bkt", "k", id, i+1, p)
		cps = append(cps, s3api.CompletedPart{PartNumber: i + 1, ETag: o.ETag})
	}
	h, _ := checksum.New(checksum.CRC32)
	h.Write(bytes.Join(parts, nil))
	right := checksum.Encode(h.Sum(nil))
	complete := func(exp s3api.Checksums) error {
		_, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "k", UploadID: id, Parts: cps, ExpectedChecksums: exp})
		return err
	}
	if err := complete(s3api.Checksums{checksum.CRC32: "AAAAAA=="}); !errors.Is(err, s3api.ErrBadDigest) {
		t.Fatalf("wrong expected checksum: %v, want BadDigest", err)
	}
	if err := complete(s3api.Checksums{checksum.SHA256: right}); !errors.Is(err, s3api.ErrInvalidRequest) {
		t.Fatalf("other algorithm: %v, want InvalidRequest", err)
	}
	if _, err := s.GetObject(ctx, "bkt", "k"); !errors.Is(err, s3api.ErrNoSuchKey) {
		t.Fatalf("object exists after refused Completes: %v", err)
	}
	if err := complete(s3api.Checksums{checksum.CRC32: right + "-2"}); err != nil {
		t.Fatalf("right expected checksum: %v", err)
	}
}

func TestCompleteValidation(t *testing.T) {
	e := newEnv(t)
	s := e.service(nil)
	s.minPartSize = 1000
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k", ChecksumAlgorithm: checksum.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	small := randBytes(999)
	o1 := uploadPart(t, s, "bkt", "k", id, 1, randBytes(1000), checksum.SHA256)
	o2 := uploadPart(t, s, "bkt", "k", id, 2, small, checksum.SHA256)
	o3 := uploadPart(t, s, "bkt", "k", id, 3, randBytes(10), checksum.SHA256)

	// SHA checksums are the client's to send.
	_, err = s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: id, PartNumber: 4, Body: newBody([]byte("x")), Size: 1})
	wantCode(t, err, "InvalidRequest", 400)

	sums := map[string]s3api.Checksums{o1.ETag: o1.Checksums, o2.ETag: o2.Checksums, o3.ETag: o3.Checksums}
	cp := func(n int, etag string) s3api.CompletedPart {
		return s3api.CompletedPart{PartNumber: n, ETag: etag, Checksums: sums[etag]}
	}
	complete := func(parts ...s3api.CompletedPart) error {
		_, err := s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "k", UploadID: id, Parts: parts})
		return err
	}
	wantCode(t, complete(), "MalformedXML", 400)
	wantCode(t, complete(cp(2, o2.ETag), cp(1, o1.ETag)), "InvalidPartOrder", 400)
	wantCode(t, complete(cp(1, o1.ETag), cp(1, o1.ETag)), "InvalidPartOrder", 400)
	wantCode(t, complete(cp(1, o1.ETag), cp(5, o1.ETag)), "InvalidPart", 400)
	wantCode(t, complete(cp(1, o2.ETag)), "InvalidPart", 400)
	wantCode(t, complete(cp(0, o1.ETag)), "InvalidArgument", 400)
	wantCode(t, complete(cp(1, o1.ETag), cp(2, o2.ETag), cp(3, o3.ETag)), "EntityTooSmall", 400)
	bad := cp(1, o1.ETag)
	bad.Checksums = s3api.Checksums{checksum.SHA256: o3.Checksums[checksum.SHA256]}
	wantCode(t, complete(bad, cp(3, o3.ETag)), "InvalidPart", 400)
	// A COMPOSITE upload's parts must state their checksums.
	wantCode(t, complete(s3api.CompletedPart{PartNumber: 1, ETag: o1.ETag}, cp(3, o3.ETag)), "InvalidRequest", 400)
	_, err = s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "k", UploadID: "nope", Parts: []s3api.CompletedPart{cp(1, o1.ETag)}})
	wantCode(t, err, "NoSuchUpload", 404)

	// None of the failures consumed the upload: a valid list (part 2 left
	// out) completes.
	if err := complete(cp(1, o1.ETag), cp(3, o3.ETag)); err != nil {
		t.Fatal(err)
	}
	r, err := s.GetObject(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Info().Size != 1010 || r.Info().PartsCount != 2 {
		t.Errorf("Info = %+v", r.Info())
	}

	_, err = s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: id, PartNumber: 10001, Body: newBody(nil), Size: 0})
	wantCode(t, err, "InvalidArgument", 400)
	_, err = s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: id, PartNumber: 1, Body: newBody(nil), Size: 0})
	wantCode(t, err, "NoSuchUpload", 404)
	_, err = s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k", ChecksumAlgorithm: checksum.SHA1, ChecksumType: "FULL_OBJECT"})
	wantCode(t, err, "InvalidRequest", 400)
	_, err = s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k", ChecksumAlgorithm: "MD4"})
	wantCode(t, err, "InvalidRequest", 400)
}

// TestSharedUpload runs one upload through two services on one data
// directory, as two gateway processes sharing a volume would.
func TestSharedUpload(t *testing.T) {
	e := newEnv(t)
	a, b := e.service(nil), e.ingestOnly()
	a.minPartSize, b.minPartSize = 1, 1
	ctx := context.Background()
	mustBucket(t, a, "bkt")
	id, err := a.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := randBytes(100000), randBytes(3000)
	o2 := uploadPart(t, b, "bkt", "k", id, 2, p2)
	o1 := uploadPart(t, a, "bkt", "k", id, 1, p1)
	if _, err := b.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: "bkt", Key: "k", UploadID: id,
		Parts: []s3api.CompletedPart{{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2.ETag}}}); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, a, "bkt", "k"); !bytes.Equal(got, append(p1, p2...)) {
		t.Fatal("shared upload reads back wrong")
	}

	// A gateway with another state key cannot take parts (and says so
	// with a 500, not a crash).
	other := e.service(func(c *Config) { c.StateKey = randBytes(StateKeySize) })
	id2, err := a.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k2"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.UploadPart(ctx, &s3api.UploadPartInput{Bucket: "bkt", Key: "k2", UploadID: id2, PartNumber: 1, Body: newBody([]byte("x")), Size: 1})
	wantCode(t, err, "InternalError", 500)

	// Without a state key there is no multipart at all.
	none := e.service(func(c *Config) { c.StateKey = nil })
	_, err = none.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: "k3"})
	wantCode(t, err, "NotImplemented", 501)
}

// TestSealedAttrsBinding moves an upload's sealed attributes to another
// upload: they must not open there.
func TestSealedAttrsBinding(t *testing.T) {
	st, err := newStateSealer(randBytes(StateKeySize))
	if err != nil {
		t.Fatal(err)
	}
	nonce := []byte("upload nonce....")
	sealed := st.seal([]byte("attributes"), uploadAttrAD("bkt", "k", nonce))
	if _, err := st.open(sealed, uploadAttrAD("bkt", "k", nonce)); err != nil {
		t.Fatal(err)
	}
	for _, ad := range [][]byte{uploadAttrAD("bkt", "k2", nonce), uploadAttrAD("bk", "", nonce), uploadAttrAD("bkt", "k", []byte("other nonce....."))} {
		if _, err := st.open(sealed, ad); err == nil {
			t.Errorf("sealed key opened under %q", ad)
		}
	}
	if _, err := newStateSealer(randBytes(16)); err == nil {
		t.Error("a 16-byte state key was accepted")
	}
}

func TestJanitor(t *testing.T) {
	e := newEnv(t)
	s := e.service(func(c *Config) { c.UploadMaxAge = time.Hour })
	ctx := context.Background()
	mustBucket(t, s, "bkt")
	mustBucket(t, s, "ckt")
	var ids []string
	for i := range 3 {
		id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "bkt", Key: fmt.Sprint("k", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	uploadPart(t, s, "bkt", "k0", ids[0], 1, []byte("part"))

	if n, err := s.SweepUploads(ctx, time.Now()); n != 0 || err != nil {
		t.Fatalf("young uploads swept: %d, %v", n, err)
	}
	if n, err := s.SweepUploads(ctx, time.Now().Add(2*time.Hour)); n != 3 || err != nil {
		t.Fatalf("SweepUploads = %d, %v; want 3", n, err)
	}
	ups, err := s.ListMultipartUploads(ctx, &s3api.ListUploadsInput{Bucket: "bkt"})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("uploads left: %+v, %v", ups, err)
	}
	// The bucket is empty again and can go.
	if err := s.DeleteBucket(ctx, "bkt"); err != nil {
		t.Errorf("DeleteBucket after the sweep: %v", err)
	}

	// RunJanitor sweeps at start and stops with its context.
	id, err := s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: "ckt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	s.maxAge = time.Nanosecond
	jctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.RunJanitor(jctx, time.Hour); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.ListParts(ctx, &s3api.ListPartsInput{Bucket: "ckt", Key: "k", UploadID: id})
		if errors.Is(err, s3api.ErrNoSuchUpload) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("RunJanitor did not abort the old upload")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestOptionalPartListsBudget: with 10,000 parts the per-part lists must
// not push the metadata past what backends accept (1 MiB): the record and
// table of such an object already take most of it.
func TestOptionalPartListsBudget(t *testing.T) {
	lists := func(n int) (md5s []byte, sha, crc [][]byte) {
		md5s = make([]byte, 16*n)
		for range n {
			sha, crc = append(sha, make([]byte, 32)), append(crc, make([]byte, 4))
		}
		return
	}
	size := func(m backend.Meta) (s int) {
		for k, v := range m {
			s += len(k) + len(v)
		}
		return s
	}
	fixed := func(n int) int { return (1300 + 12 + 28*n + 32 + 40*n + envelope.SignatureSize + 1024) * 4 / 3 }

	md5s, sha, crc := lists(10000)
	m := backend.Meta{}
	addOptionalPartLists(m, fixed(10000), md5s, checksum.SHA256, sha)
	if fixed(10000)+size(m) > 1<<20 {
		t.Errorf("10,000 parts: %d bytes of metadata", fixed(10000)+size(m))
	}

	md5s, _, crc = lists(1000)
	m = backend.Meta{}
	addOptionalPartLists(m, fixed(1000), md5s, checksum.CRC32, crc)
	if _, ok := m[mPartCkPrefix+checksum.CRC32]; !ok {
		t.Error("1,000 CRC32 part checksums not kept")
	}
	if _, ok := m[mPartMD5s]; !ok || fixed(1000)+size(m) > optionalMetaBudget {
		t.Errorf("1,000 part MD5s kept: %v, size %d", ok, fixed(1000)+size(m))
	}
}
