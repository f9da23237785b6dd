package testharness

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// largestFile returns the biggest regular file under dir: after a single
// upload into a fresh gateway, the object's ciphertext.
func largestFile(t *testing.T, dir string) (string, int64) {
	t.Helper()
	var best string
	var size int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil && fi.Size() > size {
				best, size = p, fi.Size()
			}
		}
		return nil
	})
	if best == "" {
		t.Fatalf("no files under %s", dir)
	}
	return best, size
}

// getErr reads bucket/key (or a range of it) whole and returns the bytes
// and the first error from the request or the body.
func getErr(t *testing.T, c *s3.Client, bucket, key, rng string) ([]byte, error) {
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if rng != "" {
		in.Range = &rng
	}
	out, err := c.GetObject(ctx(t), in)
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// TestTamperedVolume: a flipped byte or a truncation in the stored
// ciphertext makes every read that covers it fail — as an error status or a
// broken connection, never as a clean body — while ranges that do not
// cover it still read; `envelopegw cat` fails too.
func TestTamperedVolume(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"flip", "truncate"} {
		t.Run(fault, func(t *testing.T) {
			t.Parallel()
			g := Start(t, Options{NoFsync: true})
			// Checksums off: the SDK must not be the one to notice.
			c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
			b := newBucket(t, c)
			plain := Data(66, 3*mib)
			put(t, c, b, "victim", plain)
			path, size := largestFile(t, g.DataDir)
			if size < int64(len(plain)) {
				t.Fatalf("largest file %s is %d bytes, smaller than the object", path, size)
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			at := size / 2
			switch fault {
			case "flip":
				var one [1]byte
				f.ReadAt(one[:], at)
				one[0] ^= 0x40
				f.WriteAt(one[:], at)
			case "truncate":
				f.Truncate(size - 1000)
			}
			f.Close()

			got, err := getErr(t, c, b, "victim", "")
			if err == nil {
				t.Fatalf("GET of a %sed object succeeded with %d bytes (equal to the plaintext: %v)", fault, len(got), bytes.Equal(got, plain))
			}
			t.Logf("GET whole: %v", err)
			if fault == "flip" {
				// The damage sits in one 64 KiB segment near the middle.
				got, err = getErr(t, c, b, "victim", "bytes=0-65535")
				if err != nil || !bytes.Equal(got, plain[:65536]) {
					t.Errorf("a range before the damage does not read: %v", err)
				}
				mid := int64(len(plain)) / 2
				if _, err := getErr(t, c, b, "victim", "bytes="+itoa(mid-200000)+"-"+itoa(mid+200000)); err == nil {
					t.Errorf("a range over the damage read cleanly")
				}
			}
			if fault == "truncate" {
				if _, err := getErr(t, c, b, "victim", "bytes=-100"); err == nil {
					t.Errorf("the tail of a truncated object read cleanly")
				}
			}
			cmd := Command(t, "cat", "--data", g.DataDir, "--signer", g.SignerFile, "-i", g.IdentityFile, b+"/victim")
			out, err := cmd.Output()
			if err == nil {
				t.Errorf("envelopegw cat of a %sed object exited 0 (%d bytes)", fault, len(out))
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// stallingBody yields first, then blocks until released, then fails: an
// upload cut off mid-stream.
type stallingBody struct {
	first   []byte
	sent    chan struct{}
	release chan struct{}
	off     int
	once    sync.Once
}

func (s *stallingBody) Read(p []byte) (int, error) {
	if s.off < len(s.first) {
		n := copy(p, s.first[s.off:])
		s.off += n
		return n, nil
	}
	s.once.Do(func() { close(s.sent) })
	<-s.release
	return 0, errors.New("client gave up")
}

// TestCrashMidUpload: a gateway killed (SIGKILL) while objects and parts
// stream in leaves nothing half-written visible: after a restart the new
// object does not exist, an overwritten object is still the old one, and
// an upload lists no part for the interrupted one. Fsync stays on.
func TestCrashMidUpload(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{})
	c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	b := newBucket(t, c)
	old := Data(1, 2*mib)
	put(t, c, b, "existing", old)
	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	uploadPart(t, c, b, "mp", aws.ToString(cr.UploadId), 1, Data(2, 5*mib), "")

	targets := []struct{ path, query string }{
		{"/" + b + "/fresh", ""},
		{"/" + b + "/existing", ""},
		{"/" + b + "/mp", "partNumber=2&uploadId=" + aws.ToString(cr.UploadId)},
	}
	release := make(chan struct{})
	var wg sync.WaitGroup
	sentAll := make(chan struct{}, len(targets))
	for _, tg := range targets {
		body := &stallingBody{first: Data(3, 3*mib), sent: make(chan struct{}), release: release}
		req, err := http.NewRequest("PUT", g.Endpoint+tg.path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = tg.query
		req.ContentLength = 6 * mib // more than will ever come
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		signUnsigned(t, g, req)
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := g.HTTPClient().Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					t.Errorf("interrupted upload to %s answered 200", req.URL.Path)
				}
			}
		}()
		go func() { <-body.sent; sentAll <- struct{}{} }()
	}
	for range targets {
		select {
		case <-sentAll:
		case <-time.After(2 * time.Minute):
			t.Fatal("uploads did not get going")
		}
	}
	time.Sleep(300 * time.Millisecond) // let the server write what it has
	g.Kill()
	close(release)
	wg.Wait()
	g.Restart()

	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("fresh")})
	wantAPIError(t, err, "", http.StatusNotFound)
	if got := get(t, c, b, "existing"); !bytes.Equal(got, old) {
		t.Errorf("an interrupted overwrite changed the object (%d bytes)", len(got))
	}
	lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: aws.String("mp"), UploadId: cr.UploadId})
	if err != nil {
		t.Fatalf("ListParts after the crash: %v", err)
	}
	if len(lp.Parts) != 1 || aws.ToInt32(lp.Parts[0].PartNumber) != 1 {
		t.Errorf("after the crash the upload lists %d parts, want only part 1", len(lp.Parts))
	}
	l, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil || len(l.Contents) != 1 {
		t.Errorf("after the crash the bucket lists %d objects (%v), want 1", len(l.Contents), err)
	}
	// And the gateway works as before.
	put(t, c, b, "fresh", []byte("after"))
	if got := get(t, c, b, "fresh"); string(got) != "after" {
		t.Errorf("after restart: %q", got)
	}
}

// signUnsigned signs req (whose body is not hashed) for g.
func signUnsigned(t *testing.T, g *Gateway, req *http.Request) {
	t.Helper()
	r := signed(t, g, req.Method, req.URL.EscapedPath(), req.URL.Query(), nil, "UNSIGNED-PAYLOAD", nil)
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.URL = r.URL
}

// TestOverwriteAtomicity: while two writers keep replacing one key with
// two different objects, every concurrent GET returns one of them whole,
// with the matching ETag — never a mix, never a torn read.
func TestOverwriteAtomicity(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	b := newBucket(t, c)
	versions := [][]byte{Data(1, 1*mib+1), Data(2, 2*mib+2)}
	etags := map[string][]byte{quoted(md5hex(versions[0])): versions[0], quoted(md5hex(versions[1])): versions[1]}
	put(t, c, b, "hot", versions[0])
	deadline := time.Now().Add(4 * time.Second)
	var wg sync.WaitGroup
	var reads atomic.Int64
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline) && i < 200; i++ {
				if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("hot"), Body: bytes.NewReader(versions[(i+w)%2])}); err != nil {
					t.Errorf("PUT: %v", err)
					return
				}
			}
		}()
	}
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline) && i < 500; i++ {
				out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("hot")})
				if err != nil {
					t.Errorf("GET during overwrites: %v", err)
					return
				}
				got, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil {
					t.Errorf("GET body during overwrites: %v", err)
					return
				}
				want, ok := etags[aws.ToString(out.ETag)]
				if !ok || !bytes.Equal(got, want) {
					t.Errorf("torn read: ETag %s, %d bytes, equal to its version: %v", aws.ToString(out.ETag), len(got), ok && bytes.Equal(got, want))
					return
				}
				reads.Add(1)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d consistent reads during overwrites", reads.Load())
}
