package testharness

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"envelopegw/backend/posix"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sys/unix"
)

// rewrapContent is the deterministic body of object i (version v).
func rewrapContent(i, v int) []byte {
	return []byte(fmt.Sprintf("object %05d version %d %s", i, v, strings.Repeat("z", i%97)))
}

func rewrapKey(i int) string { return fmt.Sprintf("db/%02d/chunk-%05d", i%50, i) }

// hashDataFiles maps every file that holds object bytes in bucket (a data
// file, or a head holding its data inline) to the SHA-256 of those bytes,
// by file (inode and birth time): a metadata change may link the same
// bytes under a new name, a rewrite makes a new file.
func hashDataFiles(t *testing.T, dataDir, bucket string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	root := filepath.Join(dataDir, "buckets", bucket)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		off, n, inline := posix.InlineBody(p)
		if !inline && !strings.HasPrefix(p, filepath.Join(root, "data")+string(filepath.Separator)) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if inline {
			b = b[off : off+n]
		}
		// Inode and birth time: a freed inode number (an overwritten
		// object's file) is soon reused by a new file.
		var st unix.Statx_t
		if err := unix.Statx(unix.AT_FDCWD, p, 0, unix.STATX_INO|unix.STATX_BTIME, &st); err != nil {
			return err
		}
		out[fmt.Sprint(st.Ino, "@", st.Btime.Sec, ".", st.Btime.Nsec)] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRewrapBucketKilledAndResumed: a bucket of 10,000 objects sealed to
// an old key is rewrapped to a new key with the old one removed, while
// the gateway keeps serving and a client keeps overwriting some keys. The
// rewrap is killed (SIGKILL) halfway and run again: then every object
// opens with the new key and none with the old one, no data file changed
// (only the overwritten objects' files were replaced, by their writer),
// and a third run finds nothing to do.
func TestRewrapBucketKilledAndResumed(t *testing.T) {
	t.Parallel()
	const n, bucket = 10000, "rot-db"
	rot := newRotation(t)
	oldID, newID := rot.oldID, rot.newID
	g := Start(t, Options{NoFsync: true, Args: rot.gatewayArgs()})
	c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: strPtr(bucket)}); err != nil {
		t.Fatal(err)
	}
	parallelDo(t, n, 8, func(i int) { put(t, c, bucket, rewrapKey(i), rewrapContent(i, 0)) })
	oldKeyID := keyIDsHeader(t, g, bucket, rewrapKey(0))
	before := hashDataFiles(t, g.DataDir, bucket)

	// Gateways seal new objects for the new key before the rotation.
	rot.sealTo(t, newID)
	g.Reload("keyring reloaded")

	rewrapArgs := []string{"rewrap", "--data", g.DataDir, "--signing-key", g.SigningKey, "--signer", g.SignerFile, "-i", oldID, "-r", newID + ".pub", "--remove", oldKeyID, "-j", "2", bucket}
	first := Command(t, rewrapArgs...)
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Meanwhile a backup client overwrites objects 0..99, more than once.
	stopWriter := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		for v := 1; ; v++ {
			for i := range 100 {
				select {
				case <-stopWriter:
					return
				default:
				}
				put(t, c, bucket, rewrapKey(i), rewrapContent(i, v))
			}
		}
	})
	// Kill it once the middle object of its (sorted) order is done, and
	// check it really was halfway: the last object is not done yet.
	mid, last := rewrapMiddle(n)
	deadline := time.Now().Add(5 * time.Minute)
	for keyIDsHeader(t, g, bucket, mid) == oldKeyID {
		if time.Now().After(deadline) {
			t.Fatalf("the rewrap did not reach the middle object in 5 minutes:\n%s", firstOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	close(stopWriter)
	writer.Wait()
	if keyIDsHeader(t, g, bucket, last) != oldKeyID {
		t.Fatalf("the rewrap finished before it was killed; the test did not interrupt it")
	}

	out, err := Command(t, rewrapArgs...).CombinedOutput()
	if err != nil {
		t.Fatalf("resumed rewrap: %v\n%s", err, out)
	}
	// The killed run did the first half: -j 2 may have left one object
	// before the middle undone.
	var rewrapped, skipped int
	fmt.Sscanf(summaryLine(out), "rewrapped %d, skipped %d", &rewrapped, &skipped)
	if !strings.Contains(string(out), "failed 0, of 10000 objects") || rewrapped == 0 || skipped < n/2-2 || rewrapped+skipped != n {
		t.Errorf("resumed rewrap summary: %s", out)
	}
	t.Logf("rewrap killed halfway, resumed: %s", summaryLine(out))
	out, err = Command(t, rewrapArgs...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rewrapped 0, skipped 10000") {
		t.Errorf("third rewrap: %v %s", err, out)
	}
	t.Logf("rewrap run again: %s", summaryLine(out))
	dry, err := Command(t, append([]string{"rewrap", "--dry-run"}, rewrapArgs[1:]...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(dry), "would rewrap 0,") {
		t.Errorf("dry run after the rotation: %v %s", err, dry)
	}

	// Data files: unchanged, except those of the overwritten objects,
	// which their writer replaced.
	after := hashDataFiles(t, g.DataDir, bucket)
	gone, same := 0, 0
	for p, h := range before {
		switch ah, ok := after[p]; {
		case !ok:
			gone++
		case ah != h:
			t.Errorf("stored bytes of file %s changed", p)
		default:
			same++
		}
	}
	t.Logf("data files: %d before, %d unchanged, %d replaced by the writer's overwrites", len(before), same, gone)
	if gone > 100 {
		t.Errorf("%d data files disappeared; only the 100 overwritten objects' may", gone)
	}

	// Every object opens with the new key alone, and with the old key
	// alone none does.
	newHost := Start(t, Options{NoFsync: true, Share: g, IngestOnly: true, Args: []string{"--identity", newID}})
	oldHost := Start(t, Options{NoFsync: true, Share: g, IngestOnly: true, Args: []string{"--identity", oldID}})
	cn, co := S3Client(t, newHost, S3Options{ChecksumWhenRequired: true}), S3Client(t, oldHost, S3Options{ChecksumWhenRequired: true})
	var mu sync.Mutex
	opened, openedNew := 0, 0
	parallelDo(t, n, 8, func(i int) {
		got := get(t, cn, bucket, rewrapKey(i))
		mu.Lock()
		openedNew++
		mu.Unlock()
		if i >= 100 && !bytes.Equal(got, rewrapContent(i, 0)) || i < 100 && !bytes.HasPrefix(got, []byte(fmt.Sprintf("object %05d version ", i))) {
			t.Errorf("%s: %q", rewrapKey(i), got)
		}
		_, err := co.GetObject(ctx(t), &s3.GetObjectInput{Bucket: strPtr(bucket), Key: strPtr(rewrapKey(i))})
		if err == nil {
			mu.Lock()
			opened++
			mu.Unlock()
		}
	})
	if opened != 0 {
		t.Errorf("the removed key still opens %d objects", opened)
	}
	t.Logf("of %d objects, %d open with the new key alone, %d with the removed key", n, openedNew, opened)
}

// rewrapMiddle returns the key in the middle of a bucket rewrap's order
// (the listing's, sorted) and the last one, both past the objects the
// test's writer overwrites (0..99), which the gateway itself seals anew.
func rewrapMiddle(n int) (mid, last string) {
	keys := make([]string, 0, n)
	for i := 100; i < n; i++ {
		keys = append(keys, rewrapKey(i))
	}
	slices.Sort(keys)
	return keys[len(keys)/2], keys[len(keys)-1]
}

// summaryLine is the last line of a rewrap's output: its summary.
func summaryLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// parallelDo runs f(0..n-1) on workers goroutines.
func parallelDo(t *testing.T, n, workers int, f func(i int)) {
	t.Helper()
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
