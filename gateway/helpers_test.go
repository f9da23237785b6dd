package gateway

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"envelopegw/backend/posix"
	"envelopegw/envelope"
	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// testBody is a minimal s3api.Body: it hashes what it hands out and
// reports the sums at EOF, as s3api's real body does. With failAfter >= 0
// it returns failErr once that many bytes were read.
type testBody struct {
	r         io.Reader
	md5       hash.Hash
	cks       map[string]hash.Hash
	n         int64
	failAfter int64
	failErr   error
}

func newBody(data []byte, algs ...string) *testBody {
	b := &testBody{r: bytes.NewReader(data), md5: md5.New(), cks: map[string]hash.Hash{}, failAfter: -1}
	for _, a := range algs {
		h, err := checksum.New(a)
		if err != nil {
			panic(err)
		}
		b.cks[a] = h
	}
	return b
}

func (b *testBody) Read(p []byte) (int, error) {
	if b.failAfter >= 0 && b.n >= b.failAfter {
		return 0, b.failErr
	}
	if b.failAfter >= 0 && int64(len(p)) > b.failAfter-b.n {
		p = p[:b.failAfter-b.n]
	}
	n, err := b.r.Read(p)
	b.md5.Write(p[:n])
	for _, h := range b.cks {
		h.Write(p[:n])
	}
	b.n += int64(n)
	return n, err
}

func (b *testBody) Sums() s3api.Sums {
	s := s3api.Sums{MD5: b.md5.Sum(nil)}
	if len(b.cks) > 0 {
		s.Checksums = s3api.Checksums{}
		for a, h := range b.cks {
			s.Checksums[a] = checksum.Encode(h.Sum(nil))
		}
	}
	return s
}

// env is a data directory with keys, and services on it.
type env struct {
	t        testing.TB
	dir      string
	id       envelope.Identity
	stateKey []byte
	signer   *envelope.SigningKey
}

func newEnv(t testing.TB) *env {
	t.Helper()
	id, err := envelope.GenerateIdentity("x25519")
	if err != nil {
		t.Fatal(err)
	}
	sk := make([]byte, StateKeySize)
	rand.Read(sk)
	signer, err := envelope.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, dir: t.TempDir(), id: id, stateKey: sk, signer: signer}
}

// service opens a Service on the env's data dir; mod adjusts the config.
func (e *env) service(mod func(*Config)) *Service {
	e.t.Helper()
	be, err := posix.New(e.dir, posix.Options{NoFsync: true})
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := Config{
		Backend:    be,
		Identities: []envelope.Identity{e.id},
		StateKey:   e.stateKey,
		SigningKey: e.signer,
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// ingestOnly is a Service with the env's recipient but no identity.
func (e *env) ingestOnly() *Service {
	return e.service(func(c *Config) {
		c.Recipients = []envelope.Recipient{e.id.Recipient()}
		c.Identities = nil
	})
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func mustBucket(t *testing.T, s *Service, bucket string) {
	t.Helper()
	if err := s.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, s *Service, bucket, key string, data []byte) *s3api.PutObjectOutput {
	t.Helper()
	out, err := s.PutObject(context.Background(), &s3api.PutObjectInput{
		Bucket: bucket, Key: key, Body: newBody(data), Size: int64(len(data)),
	})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

// readRange reads [off, off+n) of bucket/key.
func readRange(t *testing.T, s *Service, bucket, key string, off, n int64) ([]byte, error) {
	t.Helper()
	r, err := s.GetObject(context.Background(), bucket, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rc, err := r.ReadRange(off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func readAll(t *testing.T, s *Service, bucket, key string) []byte {
	t.Helper()
	r, err := s.GetObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	size := r.Info().Size
	r.Close()
	b, err := readRange(t, s, bucket, key, 0, size)
	if err != nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return b
}

// wantCode fails unless err is an *s3api.Error with code and status.
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	var se *s3api.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want S3 error %s", err, err, code)
	}
	if se.Code != code || se.Status != status {
		t.Fatalf("error %s/%d (%s), want %s/%d", se.Code, se.Status, se.Message, code, status)
	}
}

// dataFiles lists every regular file under dir.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// storedBody is where the posix backend keeps the bytes of one object or
// part: a whole data file, or a range of an inline head file.
type storedBody struct {
	path      string
	off, size int64
}

func storedBodies(t *testing.T, dir string) []storedBody {
	t.Helper()
	var out []storedBody
	for _, f := range dataFiles(t, dir) {
		if off, n, ok := posix.InlineBody(f); ok {
			out = append(out, storedBody{f, off, n})
		} else if st, err := os.Stat(f); err == nil && strings.Contains(f, string(os.PathSeparator)+"data"+string(os.PathSeparator)) {
			out = append(out, storedBody{f, 0, st.Size()})
		}
	}
	return out
}

// flipStored flips the bits in mask of the byte at off within body.
func flipStored(t *testing.T, body storedBody, off int64, mask byte) {
	t.Helper()
	f, err := os.OpenFile(body.path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := []byte{0}
	if _, err := f.ReadAt(c, body.off+off); err != nil {
		t.Fatal(err)
	}
	c[0] ^= mask
	if _, err := f.WriteAt(c, body.off+off); err != nil {
		t.Fatal(err)
	}
}
