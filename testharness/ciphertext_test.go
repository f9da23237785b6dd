package testharness

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// newMarker returns a random ASCII marker that no file can hold by chance.
func newMarker() []byte {
	b := make([]byte, 16)
	rand.Read(b)
	return []byte("MARKER-" + hex.EncodeToString(b) + "-END")
}

// markedReader yields n bytes: the marker repeated, with pseudo-random
// filler between repetitions, so every part and segment holds it.
func markedReader(seed uint64, n int64, marker []byte) io.Reader {
	return io.LimitReader(&marked{r: DataReader(seed, 1<<62), marker: marker}, n)
}

type marked struct {
	r      io.Reader
	marker []byte
	i      int
}

func (m *marked) Read(p []byte) (int, error) {
	// Random bytes, with the marker at the start of every 4 KiB.
	m.r.Read(p)
	for k := range p {
		if pos := (m.i + k) % 4096; pos < len(m.marker) {
			p[k] = m.marker[pos]
		}
	}
	m.i += len(p)
	return len(p), nil
}

// assertNoMarker walks every regular file under dir and fails if the
// marker's first half appears in any (so a partial leak counts too).
func assertNoMarker(t testing.TB, dir string, marker []byte) {
	t.Helper()
	var files, total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		files++
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		br := bufio.NewReaderSize(f, 1<<20)
		buf := make([]byte, 1<<20)
		carry := []byte{}
		half := marker[:len(marker)/2]
		for {
			n, err := br.Read(buf)
			total += int64(n)
			window := append(carry, buf[:n]...)
			if bytes.Contains(window, half) {
				t.Errorf("plaintext found on the volume: %s holds the marker", path)
				return nil
			}
			if len(window) > len(half) {
				carry = append([]byte{}, window[len(window)-len(half):]...)
			} else {
				carry = window
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	if files == 0 || total == 0 {
		t.Fatalf("walked %s and found no data at all: %d files, %d bytes", dir, files, total)
	}
	t.Logf("searched %d files, %d bytes under %s for the marker", files, total, dir)
}

// TestCiphertextOnly: objects whose plaintext repeats a marker every 4 KiB
// (single PUT, multipart with parts in parallel, a copy, an upload left
// incomplete) leave no trace of it anywhere under the data dir, while
// reading back exactly.
func TestCiphertextOnly(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{TLS: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	marker := newMarker()
	plain := func(seed uint64, n int64) []byte {
		d, _ := io.ReadAll(markedReader(seed, n, marker))
		return d
	}
	single := plain(1, 3*mib+11)
	put(t, c, b, "single", single)
	multi := plain(2, 12*mib+5)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 * mib; u.Concurrency = 3 })
	if _, err := up.Upload(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("multi"), Body: bytes.NewReader(multi)}); err != nil {
		t.Fatalf("multipart upload: %v", err)
	}
	if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/single")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("pending")})
	if err != nil {
		t.Fatal(err)
	}
	uploadPart(t, c, b, "pending", aws.ToString(cr.UploadId), 1, plain(3, 5*mib), "")

	for key, want := range map[string][]byte{"single": single, "multi": multi, "copy": single} {
		if got := get(t, c, b, key); !bytes.Equal(got, want) {
			t.Errorf("%s does not read back", key)
		}
	}
	if !bytes.Contains(single, marker) {
		t.Fatal("test data does not hold the marker")
	}
	assertNoMarker(t, g.DataDir, marker)
}

// recordTB catches Errorf so a checker's own test can see it fail.
type recordTB struct {
	testing.TB
	failed bool
}

func (r *recordTB) Errorf(string, ...any) { r.failed = true }

// TestAssertNoMarkerDetects proves the volume scan can fail: a marker
// split across the scanner's 1 MiB reads is still found.
func TestAssertNoMarkerDetects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := newMarker()
	data := append(Data(1, 1<<20-5), marker...)
	if err := os.WriteFile(filepath.Join(dir, "f"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := &recordTB{TB: t}
	assertNoMarker(r, dir, marker)
	if !r.failed {
		t.Fatal("assertNoMarker did not find a marker straddling a read boundary")
	}
}
