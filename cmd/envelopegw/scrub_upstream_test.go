package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend/s3"
	"envelopegw/backend/s3/s3test"
	"envelopegw/envelope"
	"envelopegw/gateway"
	"envelopegw/s3api"
)

// TestScrubUpstream lists gateway objects on a real MinIO with inventory
// and scrubs them after editing
// the upstream objects behind the gateway's back with minio-go: one byte
// of an object's data, one object's head edited to name another's data,
// and two heads swapped (which listings skip, so only the record check
// can report them).
func TestScrubUpstream(t *testing.T) {
	ctx := context.Background()
	srv := s3test.StartMinIO(t)
	url := srv.URL() + "/" + srv.Bucket + "/gw"
	t.Setenv("ENVELOPEGW_UPSTREAM_ACCESS_KEY", srv.AccessKey)
	t.Setenv("ENVELOPEGW_UPSTREAM_SECRET_KEY", srv.SecretKey)
	be, err := s3.Dial(ctx, s3.Upstream{URL: url, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Style: "path"})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := envelope.GenerateIdentity("")
	sk, _ := envelope.GenerateSigningKey()
	signer := filepath.Join(t.TempDir(), "signer.pub")
	os.WriteFile(signer, []byte(sk.Public().String()+"\n"), 0o644)
	svc, err := gateway.New(gateway.Config{Backend: be, Recipients: []envelope.Recipient{id.Recipient()}, SigningKey: sk, StateKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "s1", "s2", "victim"} {
		v := bytes.Repeat([]byte(k), 300000)
		sum := md5.Sum(v)
		if _, err := svc.PutObject(ctx, &s3api.PutObjectInput{Bucket: "bkt", Key: k, Body: &md5Body{bytes.NewReader(v), sum[:]}, Size: int64(len(v))}); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--upstream", url, "--upstream-style", "path", "--signer", signer}
	out, summary, err := scrubRun(t, args...)
	if err != nil || out != "" || !strings.Contains(summary, "scrubbed 5 objects") {
		t.Fatalf("clean upstream: %v\n%s%s", err, out, summary)
	}

	// inventory lists the same objects from the upstream.
	var inv, invErr bytes.Buffer
	if err := inventoryMain(ctx, append(args[:len(args):len(args)], "--csv", "bkt"), &inv, &invErr); err != nil {
		t.Fatalf("inventory --upstream: %v\n%s%s", err, inv.String(), invErr.String())
	}
	for _, k := range []string{"a", "b", "victim"} {
		if !strings.Contains(inv.String(), "\n"+k+",") {
			t.Errorf("inventory --upstream does not list %s:\n%s", k, inv.String())
		}
	}
	if err := inventoryMain(ctx, append(args[:len(args):len(args)], "--verify"), &inv, &invErr); err == nil || !strings.Contains(err.Error(), "lists BUCKET") {
		t.Errorf("inventory --upstream --verify: %v", err)
	}

	heads := upstreamHeads(t, srv, "gw/k/bkt/")
	// One flipped bit in the middle of victim's first data object.
	var h struct{ Extents []struct{ Name string } }
	if err := json.Unmarshal(getUpstream(t, srv, heads["victim"]), &h); err != nil || len(h.Extents) == 0 {
		t.Fatalf("victim's head: %v %+v", err, h)
	}
	data := getUpstream(t, srv, "gw/"+h.Extents[0].Name)
	data[len(data)/2] ^= 0x01
	putUpstream(t, srv, "gw/"+h.Extents[0].Name, data)
	// b's head edited to name a's data objects: b's signed record, a's
	// sound ciphertext.
	var ha, hb map[string]json.RawMessage
	if json.Unmarshal(getUpstream(t, srv, heads["a"]), &ha) != nil || json.Unmarshal(getUpstream(t, srv, heads["b"]), &hb) != nil {
		t.Fatal("heads of a and b are not JSON objects")
	}
	hb["extents"] = ha["extents"]
	edited, _ := json.Marshal(hb)
	putUpstream(t, srv, heads["b"], edited)
	// s1's and s2's heads swapped.
	h1, h2 := getUpstream(t, srv, heads["s1"]), getUpstream(t, srv, heads["s2"])
	putUpstream(t, srv, heads["s1"], h2)
	putUpstream(t, srv, heads["s2"], h1)

	out, summary, err = scrubRun(t, args...)
	if err == nil {
		t.Fatalf("tampering not reported by the exit status\n%s%s", out, summary)
	}
	if !strings.Contains(out, "damaged  bkt/victim: ") {
		t.Errorf("the flipped bit in victim's data is not reported:\n%s", out)
	}
	if !strings.Contains(out, "damaged  bkt/b: ") {
		t.Errorf("b's edited head is not reported:\n%s", out)
	}
	for _, swapped := range []string{`damaged  bkt/s1: head record k/bkt/`, `names key "s2"`, `damaged  bkt/s2: head record`, `names key "s1"`} {
		if !strings.Contains(out, swapped) {
			t.Errorf("the swapped heads are not reported (%q):\n%s", swapped, out)
		}
	}
	if strings.Contains(out, "bkt/a:") {
		t.Errorf("sound object reported:\n%s", out)
	}
	if !strings.Contains(summary, "scrubbed 3 objects") {
		t.Errorf("summary: %s", summary)
	}

	// fsck --upstream reads the records: the swapped heads are damaged.
	// With a's index entry gone (as in a store written before the
	// indexes), a is not listed until fsck --reindex puts it back.
	if err := srv.Client.RemoveObject(ctx, srv.Bucket, strings.Replace(heads["a"], "/k/", "/i/", 1), minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	fsck := func(extra ...string) (string, error) {
		var o, e bytes.Buffer
		err := fsckMain(ctx, append([]string{"--upstream", url, "--upstream-style", "path"}, extra...), &o, &e)
		return o.String() + e.String(), err
	}
	fout, err := fsck()
	if err == nil || !strings.Contains(err.Error(), "rerun with --reindex") || !strings.Contains(fout, "damaged head record bkt/s1: k/bkt/") || !strings.Contains(fout, "2 damaged, 1 not indexed, 0 indexed") {
		t.Fatalf("fsck --upstream: %v\n%s", err, fout)
	}
	if fout, err = fsck("--reindex"); err == nil || strings.Contains(err.Error(), "reindex") || !strings.Contains(fout, "1 not indexed, 1 indexed") {
		t.Fatalf("fsck --upstream --reindex: %v\n%s", err, fout)
	}
	if fout, err = fsck("--reindex"); !strings.Contains(fout, "0 not indexed, 0 indexed") {
		t.Fatalf("fsck --upstream --reindex, again: %v\n%s", err, fout)
	}
	if _, summary, _ = scrubRun(t, args...); !strings.Contains(summary, "scrubbed 3 objects") {
		t.Errorf("after the reindex a is not scrubbed: %s", summary)
	}

	t.Setenv("ENVELOPEGW_UPSTREAM_SECRET_KEY", "")
	if _, _, err := scrubRun(t, args...); err == nil || !strings.Contains(err.Error(), "UPSTREAM_SECRET_KEY") {
		t.Errorf("no upstream secret: %v", err)
	}
}

// upstreamHeads maps gateway keys to the names of their head objects
// under prefix (a head's name ends in the key in hex).
func upstreamHeads(t *testing.T, srv *s3test.Server, prefix string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for o := range srv.Client.ListObjects(context.Background(), srv.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		last := o.Key[strings.LastIndexByte(o.Key, '/')+1:]
		if k, err := hex.DecodeString(last); err == nil {
			m[string(k)] = o.Key
		}
	}
	return m
}

func getUpstream(t *testing.T, srv *s3test.Server, name string) []byte {
	t.Helper()
	o, err := srv.Client.GetObject(context.Background(), srv.Bucket, name, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("GET upstream %s: %v", name, err)
	}
	return b
}

func putUpstream(t *testing.T, srv *s3test.Server, name string, b []byte) {
	t.Helper()
	if _, err := srv.Client.PutObject(context.Background(), srv.Bucket, name, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("PUT upstream %s: %v", name, err)
	}
}
