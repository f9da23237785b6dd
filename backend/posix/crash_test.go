package posix

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"envelopegw/backend"
)

// The test binary doubles as the child process of the crash and
// multi-process tests: with POSIX_TEST_CHILD set it runs one child role
// instead of the tests.
func TestMain(m *testing.M) {
	if role := os.Getenv("POSIX_TEST_CHILD"); role != "" {
		if err := runChild(role, strings.Split(os.Getenv("POSIX_TEST_ARGS"), "\n")); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

func partData(n int) []byte { return bytes.Repeat([]byte{byte('A' + n%26)}, 1000+n) }

func runChild(role string, args []string) error {
	b, err := New(args[0], Options{})
	if err != nil {
		return err
	}
	bucket, key := args[1], args[2]
	switch role {
	case "hang-writer":
		// Write a megabyte of an object, announce it, and wait to be killed.
		w, err := b.NewObject(ctx, bucket, key)
		if err != nil {
			return err
		}
		if _, err := w.Write(make([]byte, 1<<20)); err != nil {
			return err
		}
		if err := w.(*writer).bw.Flush(); err != nil {
			return err
		}
		fmt.Println("ready")
		time.Sleep(time.Minute)
		return errors.New("not killed")
	case "hang-after-data":
		// Publish a data file, announce it before the head, and wait to
		// be killed: the data file is in data/ with no record naming it.
		// (A part: a single PUT writes no data file, see inline.go.)
		w, err := newPartWriter(b, bucket, key)
		if err != nil {
			return err
		}
		w.Write(make([]byte, 1000))
		w.(*writer).part.publish = func(string, *record) (bool, error) {
			fmt.Println("ready")
			time.Sleep(time.Minute)
			return false, errors.New("not killed")
		}
		return commitErr(w, nil)
	case "parts":
		// Upload parts from..to of an upload another process created.
		id := args[3]
		from, _ := strconv.Atoi(args[4])
		to, _ := strconv.Atoi(args[5])
		for n := from; n <= to; n++ {
			w, err := b.NewPart(ctx, bucket, key, id, n)
			if err != nil {
				return err
			}
			w.Write(partData(n))
			if _, err := w.Commit(nil); err != nil {
				return err
			}
		}
		fmt.Println("done")
		return nil
	}
	return fmt.Errorf("unknown role %q", role)
}

// child starts the test binary in a child role, with a clean environment.
func child(t *testing.T, role string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{"POSIX_TEST_CHILD=" + role, "POSIX_TEST_ARGS=" + strings.Join(args, "\n")}
	cmd.Stderr = os.Stderr
	return cmd
}

// TestKilledWriter SIGKILLs a process in the middle of writing an object:
// nothing is visible, the old version survives, and Sweep removes the
// temp file it left at once, since its writer's lease is free (issue 8,
// item 6), while sparing the temp file of a live writer.
func TestKilledWriter(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "k", []byte("old"), nil)
	for _, key := range []string{"k", "fresh"} {
		cmd := child(t, "hang-writer", b.Root(), "bkt", key)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q", line)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	if got := mustRead(t, b, "bkt", "k"); string(got) != "old" {
		t.Fatalf("killed writer changed the object to %d bytes", len(got))
	}
	if _, err := b.Stat(ctx, "bkt", "fresh"); !errors.Is(err, backend.ErrNoSuchKey) {
		t.Fatalf("killed writer's object: Stat = %v", err)
	}
	p, err := b.List(ctx, "bkt", backend.ListOptions{})
	if err != nil || len(p.Objects) != 1 {
		t.Fatalf("List after the crash = %+v, %v", p.Objects, err)
	}
	left := tmpFiles(t, b, "bkt")
	if len(left) != 2 {
		t.Fatalf("tmp holds %q, want the two killed writers' files", left)
	}
	// A live writer in another backend (another process, as far as the
	// lease goes) is in flight, and a legacy temp file carries no writer.
	live, err := New(b.Root(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	lw, err := live.NewObject(ctx, "bkt", "inflight")
	if err != nil {
		t.Fatal(err)
	}
	lw.Write([]byte("in flight"))
	legacy := filepath.Join(b.tmpDir("bkt"), "data-"+newID())
	if err := os.WriteFile(legacy, []byte("legacy"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The dead writers' files go at once; the young legacy file and the
	// live writer's file stay.
	st, err := b.Sweep(ctx, time.Hour)
	if err != nil || st.Temp != 2 || st.DeadWriters != 2 || st.Bytes != 2<<20+2*inlineDataOff || st.Orphan != 0 {
		t.Fatalf("Sweep(1h) = %+v, %v", st, err)
	}
	if left := tmpFiles(t, b, "bkt"); len(left) != 2 {
		t.Fatalf("tmp holds %q, want the live writer's and the legacy file", left)
	}
	if _, err := lw.Commit(nil); err != nil {
		t.Fatalf("the live writer's commit after the sweep: %v", err)
	}
	if got := mustRead(t, b, "bkt", "inflight"); string(got) != "in flight" {
		t.Fatalf("live writer's object reads %q", got)
	}
	if st, err := b.Sweep(ctx, 0); err != nil || st.Temp != 1 || st.Orphan != 0 {
		t.Fatalf("Sweep(0) = %+v, %v", st, err)
	}
	if left := tmpFiles(t, b, "bkt"); len(left) != 0 {
		t.Fatalf("tmp still holds %q", left)
	}
	if got := mustRead(t, b, "bkt", "k"); string(got) != "old" {
		t.Fatal("Sweep damaged a live object")
	}
}

// TestCrashAfterDataPublish simulates a crash between publishing a data
// file and publishing the head: the object stays invisible and Sweep
// removes the orphaned data file, and only that one.
func TestCrashAfterDataPublish(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "live", []byte("live data"), nil)
	id, _ := b.CreateUpload(ctx, "bkt", "mp", nil)
	mustPart(t, b, "bkt", "mp", id, 1, []byte("part"))
	w, err := newPartWriter(b, "bkt", "crashed")
	if err != nil {
		t.Fatal(err)
	}
	w.(*writer).part.publish = func(string, *record) (bool, error) { return false, nil } // "crash"
	w.Write([]byte("orphan"))
	if _, err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
	if n := dataFiles(t, b, "bkt"); n != 2 {
		t.Fatalf("%d data files, want 2", n)
	}
	st, err := b.Sweep(ctx, 0)
	if err != nil || st.Orphan != 1 || !isPartFileSize(st.Bytes, 6) {
		t.Fatalf("Sweep = %+v, %v", st, err)
	}
	if n := dataFiles(t, b, "bkt"); n != 1 {
		t.Fatalf("%d data files after Sweep, want 1", n)
	}
	mustRead(t, b, "bkt", "live")
	parts, _ := b.ListParts(ctx, "bkt", "mp", id)
	if _, err := b.CompleteUpload(ctx, "bkt", "mp", id, []backend.PartRef{{Number: 1, ID: parts[0].ID}}, nil); err != nil {
		t.Fatalf("Sweep removed a part's data: %v", err)
	}
	if string(mustRead(t, b, "bkt", "mp")) != "part" {
		t.Fatal("completed object reads wrong")
	}
}

// TestCrashDuringComplete simulates a crash after CompleteUpload published
// the head but before it retired the upload: abort and part re-sends must
// not destroy the object's data, and a repeated Complete succeeds.
func TestCrashDuringComplete(t *testing.T) {
	b := newTestBackend(t, Options{NoFsync: true})
	mustCreateBucket(t, b, "bkt")
	id, _ := b.CreateUpload(ctx, "bkt", "k", nil)
	refs := []backend.PartRef{
		{Number: 1, ID: mustPart(t, b, "bkt", "k", id, 1, []byte("one"))},
		{Number: 2, ID: mustPart(t, b, "bkt", "k", id, 2, []byte("two"))},
	}
	saved := filepath.Join(t.TempDir(), "upload")
	if err := exec.Command("cp", "-a", b.uploadDir("bkt", id), saved).Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CompleteUpload(ctx, "bkt", "k", id, refs, nil); err != nil {
		t.Fatal(err)
	}
	restore := func() {
		t.Helper()
		os.RemoveAll(b.uploadDir("bkt", id))
		if err := exec.Command("cp", "-a", saved, b.uploadDir("bkt", id)).Run(); err != nil {
			t.Fatal(err)
		}
	}
	restore() // as if the process died before retiring the upload
	if info, err := b.CompleteUpload(ctx, "bkt", "k", id, refs, nil); err != nil || info.Size != 6 {
		t.Fatalf("repeated CompleteUpload = %+v, %v", info, err)
	}
	if string(mustRead(t, b, "bkt", "k")) != "onetwo" {
		t.Fatal("object damaged by the repeated Complete")
	}
	restore()
	mustPart(t, b, "bkt", "k", id, 1, []byte("ONE")) // re-send on the lingering upload
	if err := b.AbortUpload(ctx, "bkt", "k", id); err != nil {
		t.Fatal(err)
	}
	if string(mustRead(t, b, "bkt", "k")) != "onetwo" {
		t.Fatal("abort of a lingering upload destroyed the object's data")
	}
	if n := dataFiles(t, b, "bkt"); n != 2 {
		t.Fatalf("%d data files, want the object's 2", n)
	}
}

// TestProcessesShareUpload: an upload created by this process gets parts
// from two child processes, at the same time, and is completed here.
func TestProcessesShareUpload(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "shared", nil)
	if err != nil {
		t.Fatal(err)
	}
	c1 := child(t, "parts", b.Root(), "bkt", "shared", id, "1", "6")
	c2 := child(t, "parts", b.Root(), "bkt", "shared", id, "4", "10") // 4..6 race with c1
	for _, c := range []*exec.Cmd{c1, c2} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*exec.Cmd{c1, c2} {
		if err := c.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	parts, err := b.ListParts(ctx, "bkt", "shared", id)
	if err != nil || len(parts) != 10 {
		t.Fatalf("ListParts = %d parts, %v", len(parts), err)
	}
	var refs []backend.PartRef
	var want []byte
	for _, p := range parts {
		refs = append(refs, backend.PartRef{Number: p.Number, ID: p.ID})
		want = append(want, partData(p.Number)...)
	}
	if _, err := b.CompleteUpload(ctx, "bkt", "shared", id, refs, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, b, "bkt", "shared"), want) {
		t.Fatal("object from two processes' parts reads wrong")
	}
	// Every re-sent part's losing version is gone: one data file per part.
	if n := dataFiles(t, b, "bkt"); n != 10 {
		t.Fatalf("%d data files for 10 parts", n)
	}
}

// killedChild runs role in a child process until it says "ready", then
// SIGKILLs it.
func killedChild(t *testing.T, role string, args ...string) {
	t.Helper()
	cmd := child(t, role, args...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if line != "ready\n" {
		t.Fatalf("child said %q", line)
	}
}

// TestKilledAfterDataPublish: a process killed between publishing a data
// file and its head leaves a data file no record names. The next Sweep,
// whatever its age limit, removes it and the writer's temp entry at once
// (the writer's lease is free), and spares the data file of a live writer
// at the same step.
func TestKilledAfterDataPublish(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	mustPut(t, b, "bkt", "live", []byte("live data"), nil)
	killedChild(t, "hang-after-data", b.Root(), "bkt", "k")
	if n := dataFiles(t, b, "bkt"); n != 1 {
		t.Fatalf("%d data files after the kill, want 1", n)
	}
	// A live writer (its own lease) stopped at the same step.
	other, err := New(b.Root(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := newPartWriter(other, "bkt", "other")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("other"))
	release := make(chan struct{})
	w.(*writer).part.publish = func(string, *record) (bool, error) {
		<-release
		return false, nil
	}
	done := make(chan error)
	go func() { done <- commitErr(w, nil) }()
	for dataFiles(t, b, "bkt") != 2 {
		time.Sleep(time.Millisecond)
	}
	st, err := b.Sweep(ctx, 24*time.Hour)
	close(release)
	if cerr := <-done; cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil || st.DeadWriters != 1 || st.Temp != 1 || st.Orphan != 1 || !isPartFileSize(st.Bytes, 1000) {
		t.Fatalf("Sweep(24h) = %+v, %v", st, err)
	}
	if n := dataFiles(t, b, "bkt"); n != 1 {
		t.Fatalf("%d data files after the sweep, want the live writer's", n)
	}
	if names, _ := readNames(b.writersDir()); len(names) != 2 {
		t.Fatalf("writers/ holds %q, want the two live leases", names)
	}
	mustRead(t, b, "bkt", "live")
}

// TestUnlinkedDataGrace: a data file that appeared with a single link a
// moment ago (what a gateway of a version that renamed data files into
// place has in flight during a rolling upgrade) is spared; once it kept
// its single link for inFlightGrace, an unreferenced one goes.
func TestUnlinkedDataGrace(t *testing.T) {
	b := newTestBackend(t, Options{})
	mustCreateBucket(t, b, "bkt")
	id := newID()
	p := b.dataPath("bkt", id)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("in flight"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := b.Sweep(ctx, 24*time.Hour); err != nil || st.Orphan != 0 {
		t.Fatalf("Sweep removed a data file that may be in flight: %+v, %v", st, err)
	}
	g := inFlightGrace
	inFlightGrace = 20 * time.Millisecond
	defer func() { inFlightGrace = g }()
	time.Sleep(50 * time.Millisecond)
	if st, err := b.Sweep(ctx, 24*time.Hour); err != nil || st.Orphan != 1 {
		t.Fatalf("Sweep after the grace = %+v, %v", st, err)
	}
}

// newPartWriter starts part 1 of a new upload of bucket/key: a writer that
// publishes a data file before its record, whose crash windows the tests
// above simulate (a single PUT is one file, see inline.go).
// isPartFileSize reports whether size is that of a part file holding n
// bytes (partfile.go): header and padding, the data, a part record.
func isPartFileSize(size, n int64) bool {
	return size > inlineDataOff+n && size < inlineDataOff+n+512
}

func newPartWriter(b *Backend, bucket, key string) (backend.Writer, error) {
	id, err := b.CreateUpload(ctx, bucket, key, nil)
	if err != nil {
		return nil, err
	}
	return b.NewPart(ctx, bucket, key, id, 1)
}
