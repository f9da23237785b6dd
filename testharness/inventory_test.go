package testharness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"envelopegw/backend"
	"envelopegw/backend/posix"
)

// runInventory runs `envelopegw inventory args...` and returns its
// standard output and whether it exited 0.
func runInventory(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	cmd := Command(t, append([]string{"inventory"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatal(err)
	}
	t.Logf("inventory %s:\n%s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	return stdout.String() + stderr.String(), err == nil
}

// rawObject is an object's stored bytes and metadata, as someone with
// write access to the volume can keep and put back.
type rawObject struct {
	data []byte
	meta backend.Meta
}

func rawRead(t *testing.T, be backend.Backend, bucket, key string) rawObject {
	t.Helper()
	o, err := be.Open(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b, err := io.ReadAll(io.NewSectionReader(o, 0, o.Info().Size))
	if err != nil {
		t.Fatal(err)
	}
	return rawObject{b, o.Info().Meta}
}

func rawWrite(t *testing.T, be backend.Backend, bucket, key string, r rawObject) {
	t.Helper()
	w, err := be.NewObject(context.Background(), bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(r.data); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(r.meta); err != nil {
		t.Fatal(err)
	}
}

// TestInventoryVerifyFindsTampering changes a volume behind the gateway's
// back (delete, roll back, replace, add) and checks that `inventory
// --verify` names each change and nothing else; writes through the
// gateway (the aws SDK and the aws CLI: PUT, overwrite, tagging, copy,
// delete) leave it clean.
func TestInventoryVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	aws := AWSCLI(t, g)
	b := newBucket(t, c)
	for _, k := range []string{"backup1/chunk.00000000", "backup1/chunk.00000001", "gone", "old", "replace-me", "keep", "deleted-by-client"} {
		put(t, c, b, k, Data(uint64(len(k)), 10<<10+len(k)))
	}
	src := filepath.Join(t.TempDir(), "cli.bin")
	writeFile(t, src, strings.Repeat("xbstream chunk ", 1000))
	for _, args := range [][]string{
		{"s3", "cp", src, "s3://" + b + "/backup2/chunk.00000000"},
		{"s3api", "put-object-tagging", "--bucket", b, "--key", "keep", "--tagging", "TagSet=[{Key=kind,Value=full}]"},
		{"s3api", "copy-object", "--bucket", b, "--key", "backup2/copy", "--copy-source", b + "/keep"},
		{"s3api", "delete-object", "--bucket", b, "--key", "deleted-by-client"},
	} {
		if _, err := aws(args...); err != nil {
			t.Fatal(err)
		}
	}
	be, err := posix.New(g.DataDir, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	oldV1 := rawRead(t, be, b, "old")
	put(t, c, b, "old", []byte("the newer backup"))

	if out, ok := runInventory(t, "--data", g.DataDir, "--signer", g.SignerFile, "--verify"); !ok {
		t.Fatalf("verify of an untouched volume failed:\n%s", out)
	}
	listing, ok := runInventory(t, "--data", g.DataDir, "--signer", g.SignerFile, "--json", b+"/backup")
	if !ok {
		t.Fatal("listing failed")
	}
	checkInventoryListing(t, listing)

	// Behind the gateway's back.
	bctx := context.Background()
	if err := be.Delete(bctx, b, "gone"); err != nil {
		t.Fatal(err)
	}
	rawWrite(t, be, b, "old", oldV1)
	rawWrite(t, be, b, "replace-me", rawRead(t, be, b, "keep"))
	rawWrite(t, be, b, "planted", rawRead(t, be, b, "keep"))

	out, ok := runInventory(t, "--data", g.DataDir, "--signer", g.SignerFile, "--verify")
	if ok {
		t.Fatal("verify passed a tampered volume")
	}
	for _, want := range []string{"deleted     " + b + "/gone:", "rolled-back " + b + "/old:", "replaced    " + b + "/replace-me:", "added       " + b + "/planted:"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify did not report %q", want)
		}
	}
	for _, clean := range []string{"/keep:", "/backup1/", "/backup2/", "deleted-by-client"} {
		if strings.Contains(out, clean) {
			t.Errorf("verify reported %s, which only the gateway changed", clean)
		}
	}
}

func checkInventoryListing(t *testing.T, listing string) {
	t.Helper()
	var doc struct {
		Objects []struct {
			Key        string
			Size       int64
			Stored     int64
			Signer     string
			Recipients []string
		}
		Totals []struct {
			Prefix  string
			Objects int64
			Size    int64
		}
	}
	if err := json.Unmarshal([]byte(listing[:strings.LastIndex(listing, "}")+1]), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Objects) != 4 {
		t.Fatalf("listed %d objects under backup, want 4", len(doc.Objects))
	}
	for _, o := range doc.Objects {
		if o.Signer == "" || len(o.Recipients) == 0 || o.Stored <= o.Size {
			t.Errorf("listing of %s: %+v", o.Key, o)
		}
	}
	want := map[string]int64{"backup1/": int64(2*10<<10 + 2*len("backup1/chunk.00000000")), "backup2/": 15000 + 10<<10 + 4}
	if len(doc.Totals) != 2 {
		t.Fatalf("totals %+v", doc.Totals)
	}
	for _, tot := range doc.Totals {
		if tot.Objects != 2 || tot.Size != want[tot.Prefix] {
			t.Errorf("total %+v, want 2 objects, %d bytes", tot, want[tot.Prefix])
		}
	}
}

// TestInventoryCheckpoint exports a checkpoint, then puts back an older
// copy of the log (truncation), a log of other history signed with the
// gateway's own key (rewrite), and a log signed by another key (forgery):
// verify refuses each.
func TestInventoryCheckpoint(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "first", []byte("one"))
	logDir := filepath.Join(g.DataDir, ".envelopegw", "inventory")
	early := copyDir(t, logDir)
	for i := range 5 {
		put(t, c, b, fmt.Sprint("later", i), []byte("two"))
	}
	// A checkpoint is signed within a second of the entries; a restart
	// (its shutdown signs) makes the export cover them all, with no sleep.
	g.Restart()
	c = S3Client(t, g, S3Options{})
	cp := filepath.Join(t.TempDir(), "checkpoint")
	if out, ok := runInventory(t, "--data", g.DataDir, "--signer", g.SignerFile, "--export-checkpoint", cp); !ok {
		t.Fatal(out)
	}
	put(t, c, b, "after-export", []byte("three"))
	verify := func(signer string) (string, bool) {
		return runInventory(t, "--data", g.DataDir, "--signer", signer, "--verify", "--checkpoint", cp)
	}
	if out, ok := verify(g.SignerFile); !ok {
		t.Fatalf("a log that extends the checkpoint failed:\n%s", out)
	}

	// Another volume whose gateway signs with the same key, and one with
	// its own key.
	sameKey := Start(t, Options{NoFsync: true, Args: []string{"--signing-key", g.SigningKey}})
	otherKey := Start(t, Options{NoFsync: true})
	for _, o := range []*Gateway{sameKey, otherKey} {
		oc := S3Client(t, o, S3Options{})
		ob := newBucket(t, oc)
		for i := range 10 {
			put(t, oc, ob, fmt.Sprint("other", i), []byte("x"))
		}
	}
	for _, o := range []*Gateway{g, sameKey, otherKey} {
		o.Stop() // signs its log's tail
	}
	for _, tc := range []struct{ name, from, want string }{
		{"truncated", early, "truncated"},
		{"rewritten", filepath.Join(sameKey.DataDir, ".envelopegw", "inventory"), "rewritten"},
		{"forged", filepath.Join(otherKey.DataDir, ".envelopegw", "inventory"), "no trusted signer"},
	} {
		os.RemoveAll(logDir)
		if err := os.CopyFS(logDir, os.DirFS(tc.from)); err != nil {
			t.Fatal(err)
		}
		out, ok := verify(g.SignerFile)
		if ok || !strings.Contains(out, tc.want) {
			t.Errorf("%s log: ok=%v, want a failure naming %q:\n%s", tc.name, ok, tc.want, out)
		}
	}
	// A checkpoint signed by another key is refused as such.
	forged := filepath.Join(t.TempDir(), "forged")
	if out, ok := runInventory(t, "--data", otherKey.DataDir, "--signer", otherKey.SignerFile, "--export-checkpoint", forged); !ok {
		t.Fatal(out)
	}
	os.RemoveAll(logDir)
	os.CopyFS(logDir, os.DirFS(early))
	out, ok := runInventory(t, "--data", g.DataDir, "--signer", g.SignerFile, "--verify", "--checkpoint", forged)
	if ok || !strings.Contains(out, "no trusted signer") {
		t.Errorf("a forged checkpoint was not refused:\n%s", out)
	}
}

func copyDir(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestInventoryTwoGateways appends from two gateway processes on one
// volume at once: the log stays consistent and names every object.
func TestInventoryTwoGateways(t *testing.T) {
	t.Parallel()
	g1 := Start(t, Options{NoFsync: true})
	g2 := Start(t, Options{NoFsync: true, Share: g1})
	c1, c2 := S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})
	b := newBucket(t, c1)
	var wg sync.WaitGroup
	for i, c := range []*s3.Client{c1, c2, c1, c2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 15 {
				k := fmt.Sprintf("w%d/%d", i, j)
				put(t, c, b, k, []byte(k))
				if j%5 == 0 {
					if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &k}); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	out, ok := runInventory(t, "--data", g1.DataDir, "--signer", g1.SignerFile, "--verify")
	if !ok {
		t.Fatalf("verify after concurrent appends:\n%s", out)
	}
	// 60 puts and 12 deletes, each an intent and an entry.
	if !strings.Contains(out, "log of 144 entries") || !strings.Contains(out, "48 objects on the volume") {
		t.Errorf("verify summary: %s", out)
	}
}
