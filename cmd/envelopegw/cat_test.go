package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"envelopegw/backend/posix"
	"envelopegw/envelope"
	"envelopegw/gateway"
	"envelopegw/s3api"
)

// md5Body is the smallest s3api.Body: MD5 only.
type md5Body struct {
	r   io.Reader
	sum []byte
}

func (b *md5Body) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *md5Body) Sums() s3api.Sums           { return s3api.Sums{MD5: b.sum} }

// catFixture writes objects through a gateway into a fresh data directory
// and returns the directory and the identity file.
func catFixture(t *testing.T, objects map[string][]byte) (data, idPath string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	id, err := envelope.GenerateIdentity("")
	if err != nil {
		t.Fatal(err)
	}
	idPath = filepath.Join(dir, "identity")
	text, _ := id.MarshalText()
	if err := os.WriteFile(idPath, text, 0o600); err != nil {
		t.Fatal(err)
	}
	be, err := posix.New(data, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	sk, err := envelope.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(signerOf(data), []byte(sk.Public().String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Ingest-only: cat must not need the writer to have held a key.
	svc, err := gateway.New(gateway.Config{Backend: be, Recipients: []envelope.Recipient{id.Recipient()}, SigningKey: sk})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for k, v := range objects {
		sum := md5.Sum(v)
		if _, err := svc.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: k, Body: &md5Body{bytes.NewReader(v), sum[:]}, Size: int64(len(v))}); err != nil {
			t.Fatal(err)
		}
	}
	return data, idPath
}

// signerOf is the signer file of a catFixture data directory.
func signerOf(data string) string { return filepath.Join(filepath.Dir(data), "signer.pub") }

func TestCat(t *testing.T) {
	big := make([]byte, 5<<20+123)
	rand.Read(big)
	data, idPath := catFixture(t, map[string][]byte{"dir/a b.bin": big, "empty": nil})

	var out, errOut bytes.Buffer
	if err := catMain(context.Background(), []string{"--data", data, "--signer", signerOf(data), "-i", idPath, "bkt/dir/a b.bin"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), big) {
		t.Fatal("cat wrote the wrong plaintext")
	}
	out.Reset()
	if err := catMain(context.Background(), []string{"--data", data, "--signer", signerOf(data), "--identity", idPath, "bkt/empty"}, &out, &errOut); err != nil || out.Len() != 0 {
		t.Fatalf("cat of an empty object: %d bytes, %v", out.Len(), err)
	}

	other, _ := envelope.GenerateIdentity("x25519")
	otherPath := filepath.Join(t.TempDir(), "other")
	text, _ := other.MarshalText()
	os.WriteFile(otherPath, text, 0o600)
	osk, _ := envelope.GenerateSigningKey()
	otherSigner := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(otherSigner, []byte(osk.Public().String()), 0o644)

	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no such key":    {[]string{"--data", data, "--signer", signerOf(data), "-i", idPath, "bkt/nope"}, "no such object"},
		"no such bucket": {[]string{"--data", data, "--signer", signerOf(data), "-i", idPath, "nobkt/x"}, "no such bucket"},
		"wrong identity": {[]string{"--data", data, "--signer", signerOf(data), "-i", otherPath, "bkt/empty"}, other.KeyID()},
		"no signer":      {[]string{"--data", data, "-i", idPath, "bkt/empty"}, "--signer"},
		"wrong signer":   {[]string{"--data", data, "--signer", otherSigner, "-i", idPath, "bkt/empty"}, "not a trusted signer"},
		"no identity":    {[]string{"--data", data, "bkt/empty"}, "no identity"},
		"bad argument":   {[]string{"--data", data, "--signer", signerOf(data), "-i", idPath, "justabucket"}, "BUCKET/KEY"},
		"no data dir":    {[]string{"--data", filepath.Join(data, "missing"), "--signer", signerOf(data), "-i", idPath, "bkt/empty"}, "not a data directory"},
	} {
		out.Reset()
		err := catMain(context.Background(), c.args, &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", name, err, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: wrote %d bytes", name, out.Len())
		}
	}

	// cat writes nothing to the data directory.
	before := snapshotTree(t, data)
	catMain(context.Background(), []string{"--data", data, "--signer", signerOf(data), "-i", idPath, "bkt/dir/a b.bin"}, io.Discard, io.Discard)
	if after := snapshotTree(t, data); after != before {
		t.Errorf("cat changed the data directory:\n%s\n---\n%s", before, after)
	}
}

// TestCatTamperedMidStream flips a byte near the end of the ciphertext: cat
// has already written the verified segments, and must then fail.
func TestCatTamperedMidStream(t *testing.T) {
	big := make([]byte, 4<<20)
	rand.Read(big)
	data, idPath := catFixture(t, map[string][]byte{"obj": big})
	want := envelope.CiphertextSize(int64(len(big)), envelope.DefaultSegmentSize)
	var file string
	var end int64 // just past the ciphertext in file
	filepath.Walk(data, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		if off, n, ok := posix.InlineBody(p); ok && n == want {
			file, end = p, off+n // a single PUT: the head file holds it
		} else if !ok && fi.Size() == want {
			file, end = p, want
		}
		return nil
	})
	if file == "" {
		t.Fatal("ciphertext file not found")
	}
	b, _ := os.ReadFile(file)
	b[end-5000] ^= 0x80
	os.WriteFile(file, b, 0o600)

	var out bytes.Buffer
	err := catMain(context.Background(), []string{"--data", data, "--signer", signerOf(data), "-i", idPath, "bkt/obj"}, &out, io.Discard)
	if err == nil {
		t.Fatal("cat of tampered ciphertext succeeded")
	}
	if !strings.Contains(err.Error(), "decryption failed") {
		t.Errorf("error %q", err)
	}
	if out.Len() >= len(big) || !bytes.Equal(out.Bytes(), big[:out.Len()]) {
		t.Errorf("wrote %d bytes before failing; they must be a verified prefix", out.Len())
	}

	// The real binary exits non-zero with one line on stderr.
	if testing.Short() {
		return
	}
	bin := filepath.Join(t.TempDir(), "envelopegw")
	if o, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, o)
	}
	cmd := exec.Command(bin, "cat", "--data", data, "--signer", signerOf(data), "-i", idPath, "bkt/obj")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("envelopegw cat on tampered data: %v, want a non-zero exit", err)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "envelopegw cat: ") {
		t.Errorf("stderr %q, want one line", stderr.String())
	}
}

func snapshotTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + fi.Mode().String() + " " + fi.ModTime().String() + "\n")
		return nil
	})
	return b.String()
}
