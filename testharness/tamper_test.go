package testharness

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"envelopegw/backend"
	"envelopegw/backend/posix"
	"envelopegw/envelope"
)

// TestTamperedVolumeRefused attacks a running gateway's volume as someone
// who can write it but holds no trusted signing key, and checks that the
// aws SDK, `envelopegw cat` and `envelopegw scrub` all refuse every
// tampered object and that no attacker byte comes out.
func TestTamperedVolumeRefused(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	genuine := map[string][]byte{}
	for _, k := range []string{"a", "b", "victim", "meta"} {
		genuine[k] = Data(uint64(len(k)), 100<<10+len(k))
		put(t, c, b, k, genuine[k])
	}
	attack := []byte("ATTACKER BYTES: restore me instead of your backup")
	be, err := posix.New(g.DataDir, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	bctx := context.Background()

	// 1. Planted: `envelopegw encrypt` to the public recipient, spliced
	// into a record as the format v1 layout had it.
	plantV1(t, g, be, b, "planted", attack)
	// 2. Two records swapped.
	ma, _ := be.Stat(bctx, b, "a")
	mb, _ := be.Stat(bctx, b, "b")
	rawCopyTo(t, be, b, "a", "a.tmp", nil)
	rawCopyTo(t, be, b, "b", "a", mb.Meta)
	rawCopyTo(t, be, b, "a.tmp", "b", ma.Meta)
	be.Delete(bctx, b, "a.tmp")
	// 3. An object's files copied to another key.
	rawCopyTo(t, be, b, "victim", "victim-copy", nil)
	// 4. Attributes edited: the record's last bytes (sealed metadata,
	// signature) flipped.
	st, _ := be.Stat(bctx, b, "meta")
	m := st.Meta.Clone()
	m["r"] = flipBase64(t, m["r"])
	if _, err := be.SetMeta(bctx, b, "meta", m, st.ModTime); err != nil {
		t.Fatal(err)
	}
	tampered := []string{"planted", "a", "b", "victim-copy", "meta"}
	for _, k := range tampered {
		out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &k})
		if err == nil {
			body, _ := io.ReadAll(out.Body)
			out.Body.Close()
			t.Errorf("GET %s answered %d bytes", k, len(body))
			continue
		}
		if s := httpStatus(err); s < 500 {
			t.Errorf("GET %s: status %d (%v), want a server-side integrity error", k, s, err)
		}
		if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &k}); err == nil {
			t.Errorf("HEAD %s answered", k)
		}
		cmd := Command(t, "cat", "--data", g.DataDir, "--signer", g.SignerFile, "-i", g.IdentityFile, b+"/"+k)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Run(); err == nil || stdout.Len() > 0 {
			t.Errorf("cat %s: %v, %d bytes out", k, err, stdout.Len())
		}
	}
	if got := get(t, c, b, "victim"); !bytes.Equal(got, genuine["victim"]) {
		t.Error("the untouched object does not read back")
	}

	// 5. The bucket's whole directory replaced by one another gateway (its
	// own signing and state keys, the same recipient) wrote.
	g2 := Start(t, Options{NoFsync: true, Args: []string{"--recipient", g.Recipient}})
	c2 := S3Client(t, g2, S3Options{})
	if _, err := c2.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	put(t, c2, b, "victim", attack)
	g2.Stop()

	out, err := Command(t, "scrub", "--data", g.DataDir, "--signer", g.SignerFile).Output()
	if err == nil {
		t.Fatalf("scrub found nothing:\n%s", out)
	}
	for _, k := range tampered {
		if !bytes.Contains(out, []byte("/"+k+":")) {
			t.Errorf("scrub does not list %s:\n%s", k, out)
		}
	}
	if bytes.Contains(out, []byte("/victim:")) {
		t.Errorf("scrub lists the untouched object:\n%s", out)
	}

	dst := filepath.Join(g.DataDir, "buckets", b)
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(g2.DataDir, "buckets", b), dst); err != nil {
		t.Fatal(err)
	}
	k := "victim"
	if out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &k}); err == nil {
		body, _ := io.ReadAll(out.Body)
		t.Fatalf("GET of an object from another gateway's bucket answered %q", body)
	}
	cmd := Command(t, "cat", "--data", g.DataDir, "--signer", g.SignerFile, "-i", g.IdentityFile, b+"/victim")
	if out, err := cmd.Output(); err == nil || len(out) > 0 {
		t.Fatalf("cat of the replaced bucket: %v, %q", err, out)
	}
	if out, err := Command(t, "scrub", "--data", g.DataDir, "--signer", g.SignerFile, b).Output(); err == nil || !strings.Contains(string(out), "forged   "+b+"/victim") {
		t.Fatalf("scrub of the replaced bucket: %v\n%s", err, out)
	}
}

// plantV1 encrypts data to g's public recipient with `envelopegw encrypt`
// and stores it as bucket/key in the v1 layout (header, table, size,
// ETag in clear beside the ciphertext).
func plantV1(t *testing.T, g *Gateway, be backend.Backend, bucket, key string, data []byte) {
	t.Helper()
	cmd := Command(t, "encrypt", "-r", g.Recipient)
	cmd.Stdin = bytes.NewReader(data)
	file, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	l, err := envelope.ReadFileLayout(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := l.Header.MarshalBinary()
	w, err := be.NewObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.Write(file[l.BodyOffset : l.BodyOffset+l.BodySize])
	enc := base64.StdEncoding.EncodeToString
	if _, err := w.Commit(backend.Meta{"egw": "1", "h": enc(hb), "t": enc(l.Table), "s": itoa(int64(len(data))), "e": md5hex(data)}); err != nil {
		t.Fatal(err)
	}
}

func rawCopyTo(t *testing.T, be backend.Backend, bucket, src, dst string, meta backend.Meta) {
	t.Helper()
	ctx := context.Background()
	o, err := be.Open(ctx, bucket, src)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	w, err := be.NewObject(ctx, bucket, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := io.Copy(w, io.NewSectionReader(o, 0, o.Info().Size)); err != nil {
		t.Fatal(err)
	}
	if meta == nil {
		meta = o.Info().Meta
	}
	if _, err := w.Commit(meta); err != nil {
		t.Fatal(err)
	}
}

// flipBase64 flips a bit in the last byte of a base64 value.
func flipBase64(t *testing.T, v string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) == 0 {
		t.Fatalf("not base64: %v", err)
	}
	b[len(b)-1] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}
