package posix

// The crash-consistency checker (issue 8; docs/CRASH-CONSISTENCY.md):
// a workload runs through the recorder, every state a crash could leave
// under the model is rebuilt in a temp directory, a fresh backend opens it
// and runs its startup Sweep, and the checks below must hold.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"envelopegw/backend"
)

// wop is one acknowledged-or-not operation of the workload, as the checks
// see it: what it makes of a key, or of a part of an upload.
type wop struct {
	name   string
	key    string // object it changes ("" if none)
	value  []byte // the object's content afterwards (nil with del)
	del    bool
	upload string // upload it changes
	part   int    // part number it sets (0: none)
	ends   bool   // completes or aborts the upload
	create bool   // creates the upload
	bucket string // bucket it creates (value non-nil) or deletes (del)
}

// crashRun is a recorded workload.
type crashRun struct {
	rec    *recorder
	ops    []wop
	begin  []int // index in rec.ops of each wop's begin marker
	ack    []int // ... and of its ack marker (-1: never acknowledged)
	base   map[string][]byte
	keys   []string
	bucket string
}

// do runs one workload operation between its markers.
func (c *crashRun) do(t *testing.T, w wop, fn func() error) {
	t.Helper()
	i := len(c.ops)
	c.ops = append(c.ops, w)
	c.begin = append(c.begin, len(c.rec.ops))
	c.rec.mark(opBegin, i)
	if err := fn(); err != nil {
		t.Fatalf("workload %s: %v", w.name, err)
	}
	c.ack = append(c.ack, len(c.rec.ops))
	c.rec.mark(opAck, i)
}

func putBytes(b *Backend, bucket, key string, data []byte) error {
	w, err := b.NewObject(ctx, bucket, key)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		return err
	}
	return commitErr(w, backend.Meta{"len": fmt.Sprint(len(data))})
}

func putPart(b *Backend, bucket, key, id string, n int, data []byte) error {
	w, err := b.NewPart(ctx, bucket, key, id, n)
	if err != nil {
		return err
	}
	defer w.Abort()
	w.Write(data)
	return commitErr(w, nil)
}

func content(tag string, n int) []byte {
	return bytes.Repeat([]byte(tag), n/len(tag)+1)[:n]
}

// recordWorkload runs PUT, overwrite, multipart (parts, a re-sent part,
// Complete, Abort, an upload left in progress), DeleteObjects, CopyObject
// and a metadata replace through a recorder.
func recordWorkload(t *testing.T, dir string, mutate func(*recorder)) *crashRun {
	b, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &crashRun{bucket: "bkt", base: map[string][]byte{}}
	mustCreateBucket(t, b, "bkt")
	for k, v := range map[string][]byte{"old": content("v1", 1500), "dir/a": content("a", 700), "dir/b": content("b", 900)} {
		mustPut(t, b, "bkt", k, v, nil)
		c.base[k] = v
	}
	if c.rec, err = newRecorder(dir); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(c.rec)
	}
	b.fs = c.rec

	put := func(key string, v []byte) {
		c.do(t, wop{name: "PUT " + key, key: key, value: v}, func() error { return putBytes(b, "bkt", key, v) })
	}
	del := func(key string) {
		c.do(t, wop{name: "DELETE " + key, key: key, del: true}, func() error { return b.Delete(ctx, "bkt", key) })
	}
	put("new", content("n", 2000))                              // a new key
	put("old", content("v2", 1800))                             // overwrite
	put("dir/c", content("c", 300))                             // a key in an existing directory
	put("x/y/z", content("z", 1200))                            // new directories
	put("empty", []byte{})                                      // no data file
	mp := multipart(t, c, b, "mp", true)                        // parts, a re-sent part, Complete
	multipart(t, c, b, "ab", false)                             // Abort
	del("dir/a")                                                // DeleteObjects: a folder's keys,
	del("dir/b")                                                //
	del("x/y/z")                                                // and one that prunes directories
	copied := append([]byte{}, mustRead(t, b, "bkt", "old")...) // CopyObject: hard links (copy.go)
	c.do(t, wop{name: "COPY old copy", key: "copy", value: copied}, func() error {
		st, err := b.Stat(ctx, "bkt", "old")
		if err != nil {
			return err
		}
		_, err = b.Copy(ctx, backend.CopySource{Bucket: "bkt", Key: "old", Version: st.Version}, "bkt", "copy", backend.Meta{"len": fmt.Sprint(len(copied))})
		return err
	})
	c.do(t, wop{name: "SETMETA copy", key: "copy", value: copied}, func() error {
		_, err := b.SetMeta(ctx, "bkt", "copy", backend.Meta{"x": "y"}, time.Time{})
		return err
	})
	put("mp", content("small", 100)) // overwrite a multipart object
	_ = mp
	del("new")
	pending(t, c, b)
	c.do(t, wop{name: "CREATEBUCKET b2", bucket: "b2", value: []byte{}}, func() error { return b.CreateBucket(ctx, "b2") })
	c.do(t, wop{name: "DELETEBUCKET b2", bucket: "b2", del: true}, func() error { return b.DeleteBucket(ctx, "b2") })
	for k := range c.base {
		c.keys = append(c.keys, k)
	}
	for _, w := range c.ops {
		if w.key != "" && c.base[w.key] == nil && !contains(c.keys, w.key) {
			c.keys = append(c.keys, w.key)
		}
	}
	sort.Strings(c.keys)
	return c
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

// multipart uploads two parts, re-sends the first, and completes with the
// current versions (or aborts).
func multipart(t *testing.T, c *crashRun, b *Backend, key string, complete bool) string {
	var id string
	c.do(t, wop{name: "CREATE " + key, upload: key, create: true}, func() (err error) {
		id, err = b.CreateUpload(ctx, "bkt", key, nil)
		return err
	})
	p1, p2, p1b := content(key+"1", 1100), content(key+"2", 600), content(key+"R", 1300)
	c.do(t, wop{name: "PART " + key + " 1", upload: key, part: 1, value: p1}, func() error { return putPart(b, "bkt", key, id, 1, p1) })
	c.do(t, wop{name: "PART " + key + " 2", upload: key, part: 2, value: p2}, func() error { return putPart(b, "bkt", key, id, 2, p2) })
	c.do(t, wop{name: "RESEND " + key + " 1", upload: key, part: 1, value: p1b}, func() error { return putPart(b, "bkt", key, id, 1, p1b) })
	if complete {
		v := append(append([]byte{}, p1b...), p2...)
		c.do(t, wop{name: "COMPLETE " + key, key: key, value: v, upload: key, ends: true}, func() error {
			parts, err := b.ListParts(ctx, "bkt", key, id)
			if err != nil {
				return err
			}
			refs := []backend.PartRef{{Number: 1, ID: parts[0].ID}, {Number: 2, ID: parts[1].ID}}
			_, err = b.CompleteUpload(ctx, "bkt", key, id, refs, nil)
			return err
		})
	} else {
		c.do(t, wop{name: "ABORT " + key, upload: key, ends: true}, func() error { return b.AbortUpload(ctx, "bkt", key, id) })
	}
	return id
}

// pending leaves an upload in progress with two acknowledged parts.
func pending(t *testing.T, c *crashRun, b *Backend) {
	var id string
	c.do(t, wop{name: "CREATE pend", upload: "pend", create: true}, func() (err error) {
		id, err = b.CreateUpload(ctx, "bkt", "pend", nil)
		return err
	})
	for n := 1; n <= 2; n++ {
		v := content(fmt.Sprintf("pend%d", n), 800)
		c.do(t, wop{name: fmt.Sprint("PART pend ", n), upload: "pend", part: n, value: v}, func() error { return putPart(b, "bkt", "pend", id, n, v) })
	}
}

// allowed returns, for a crash after rec.ops[:k], the contents key may
// have (nil: absent): the last acknowledged one, and those of operations
// begun and not acknowledged.
func (c *crashRun) allowed(k int, key string) [][]byte {
	cur := c.base[key]
	var out [][]byte
	for i, w := range c.ops {
		if w.key != key || c.begin[i] >= k {
			continue
		}
		v := w.value
		if w.del {
			v = nil
		}
		if c.ack[i] < k {
			cur = v
			out = out[:0] // an acknowledged change supersedes earlier in-flight ones
		} else {
			out = append(out, v)
		}
	}
	return append(out, cur)
}

// partAllowed is allowed for part n of upload u, and whether the upload
// must exist with its acknowledged parts (created, and neither completed
// nor aborted, not even in flight).
func (c *crashRun) partAllowed(k int, u string, n int) (vals [][]byte, must bool) {
	var cur []byte
	for i, w := range c.ops {
		if w.upload != u || c.begin[i] >= k {
			continue
		}
		switch {
		case w.create:
			must = c.ack[i] < k
		case w.ends:
			return nil, false
		case w.part == n && c.ack[i] < k:
			cur, vals = w.value, vals[:0]
		case w.part == n:
			vals = append(vals, w.value)
		}
	}
	return append(vals, cur), must
}

func oneOf(got []byte, vals [][]byte) bool {
	for _, v := range vals {
		if got == nil && v == nil || got != nil && v != nil && bytes.Equal(got, v) {
			return true
		}
	}
	return false
}

func describe(v []byte) string {
	if v == nil {
		return "absent"
	}
	return fmt.Sprintf("%d bytes %.8q", len(v), v)
}

// readAll reads bucket/key whole: nil if absent.
func readAll(b *Backend, bucket, key string) ([]byte, error) {
	o, err := b.Open(ctx, bucket, key)
	if errors.Is(err, backend.ErrNoSuchKey) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer o.Close()
	buf := make([]byte, o.Info().Size)
	if n, err := o.ReadAt(buf, 0); n != len(buf) || err != nil && err != io.EOF {
		return nil, fmt.Errorf("read %d of %d bytes: %v", n, len(buf), err)
	}
	return buf, nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// check opens the crash state at dir as a restarted gateway would, sweeps
// it, and returns what is wrong with it.
func (c *crashRun) check(dir string, k int) []string {
	var bad []string
	b, err := New(dir, Options{NoFsync: true, Logger: quiet})
	if err != nil {
		return []string{"reopen: " + err.Error()}
	}
	defer b.Close()
	if _, err := b.Sweep(ctx, 24*time.Hour); err != nil {
		bad = append(bad, "startup sweep: "+err.Error())
	}
	for _, key := range c.keys {
		got, err := readAll(b, c.bucket, key)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s unreadable: %v", key, err))
			continue
		}
		if vals := c.allowed(k, key); !oneOf(got, vals) {
			bad = append(bad, fmt.Sprintf("%s is %s, want one of %d allowed versions (last acknowledged %s)", key, describe(got), len(vals), describe(vals[len(vals)-1])))
		}
	}
	page, err := b.List(ctx, c.bucket, backend.ListOptions{MaxKeys: 1000})
	if err != nil {
		bad = append(bad, "list: "+err.Error())
	}
	for _, o := range page.Objects {
		if !contains(c.keys, o.Key) {
			bad = append(bad, "listed unknown key "+o.Key)
		} else if got, err := readAll(b, c.bucket, o.Key); err != nil {
			bad = append(bad, fmt.Sprintf("listed %s does not read: %v", o.Key, err))
		} else if got == nil {
			bad = append(bad, fmt.Sprintf("listed %s reads as absent (its data is gone)", o.Key))
		}
	}
	bad = append(bad, c.checkUploads(b, k)...)
	bad = append(bad, c.checkBuckets(b, k)...)
	return append(bad, c.checkLeftovers(b)...)
}

// checkBuckets: bucket b2 exists as its last acknowledged create or delete
// left it, or as one in flight; the workload's bucket exists; ListBuckets
// works; the startup sweep left no half-created or half-deleted bucket
// directory.
func (c *crashRun) checkBuckets(b *Backend, k int) []string {
	var bad []string
	list, err := b.ListBuckets(ctx)
	if err != nil {
		return []string{"list buckets: " + err.Error()}
	}
	exists := map[string]bool{}
	for _, bi := range list {
		exists[bi.Name] = true
	}
	if !exists[c.bucket] {
		bad = append(bad, "bucket "+c.bucket+" is gone")
	}
	var vals [][]byte // as for keys: []byte{} exists, nil absent
	var cur []byte
	for i, w := range c.ops {
		if w.bucket != "b2" || c.begin[i] >= k {
			continue
		}
		v := w.value
		if w.del {
			v = nil
		}
		if c.ack[i] < k {
			cur, vals = v, vals[:0]
		} else {
			vals = append(vals, v)
		}
	}
	var got []byte
	if exists["b2"] {
		got = []byte{}
	}
	if !oneOf(got, append(vals, cur)) {
		bad = append(bad, fmt.Sprintf("bucket b2 exists=%v, want one of %d allowed states", exists["b2"], len(vals)+1))
	}
	names, _ := readNames(b.bucketsDir())
	for _, n := range names {
		if strings.HasPrefix(n, newBucketPrefix) || strings.HasPrefix(n, gonebucketPrefix) {
			bad = append(bad, "startup sweep left buckets/"+n)
		}
	}
	return bad
}

// checkUploads: an upload that must exist lists every acknowledged part,
// and each part's data file holds an allowed version.
func (c *crashRun) checkUploads(b *Backend, k int) []string {
	var bad []string
	ups, err := b.ListUploads(ctx, c.bucket, backend.UploadListOptions{})
	if err != nil {
		return []string{"list uploads: " + err.Error()}
	}
	for _, u := range []string{"mp", "ab", "pend"} {
		if _, must := c.partAllowed(k, u, 1); !must {
			continue
		}
		var id string
		for _, up := range ups.Uploads {
			if up.Key == u {
				id = up.UploadID
			}
		}
		if id == "" {
			bad = append(bad, "acknowledged upload "+u+" is gone")
			continue
		}
		parts, err := b.ListParts(ctx, c.bucket, u, id)
		if err != nil {
			bad = append(bad, "list parts of "+u+": "+err.Error())
			continue
		}
		got := map[int][]byte{}
		for _, p := range parts {
			d, err := partBytes(b, c.bucket, p)
			if err != nil {
				bad = append(bad, fmt.Sprintf("upload %s part %d: data file: %v", u, p.Number, err))
			}
			got[p.Number] = d
		}
		for n := 1; n <= 2; n++ {
			if vals, _ := c.partAllowed(k, u, n); !oneOf(got[n], vals) {
				bad = append(bad, fmt.Sprintf("upload %s part %d is %s, want one of %d versions", u, n, describe(got[n]), len(vals)))
			}
		}
	}
	return bad
}

// checkLeftovers: after the startup sweep, tmp/ is empty and every data
// file is referenced.
func (c *crashRun) checkLeftovers(b *Backend) []string {
	var bad []string
	if names, _ := readNames(b.tmpDir(c.bucket)); len(names) > 0 {
		bad = append(bad, fmt.Sprintf("startup sweep left tmp/%s", strings.Join(names, ", tmp/")))
	}
	refs, _, err := b.referenced(ctx, c.bucket)
	if err != nil {
		return append(bad, "references: "+err.Error())
	}
	fans, _ := readNames(b.dataDir(c.bucket))
	for _, fan := range fans {
		ids, _ := readNames(filepath.Join(b.dataDir(c.bucket), fan))
		for _, id := range ids {
			if !refs[id] {
				bad = append(bad, "startup sweep left unreferenced data file "+id)
			}
		}
	}
	return bad
}

// partBytes reads part p's bytes from its data file: the whole file in
// the old layout, the extent a part file's header and record describe in
// the new (partfile.go).
func partBytes(b *Backend, bucket string, p backend.PartInfo) ([]byte, error) {
	path := b.dataPath(bucket, p.ID)
	d, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	off, n, inline := InlineBody(path)
	if !inline {
		return d, nil
	}
	if n != p.Size || off+n > int64(len(d)) {
		return nil, fmt.Errorf("%s: header says %d bytes at %d, part is %d bytes, file %d", path, n, off, p.Size, len(d))
	}
	return d[off : off+n], nil
}
