package testharness

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// smallVolume mounts a tmpfs of size bytes and returns its path; it is
// unmounted when the test ends (after the gateway stopped: cleanups run
// last-registered first). Where mounting is not permitted (an
// unprivileged container) the test skips, and fails under CI=true: .ci/run
// runs as root. The error mapping itself is also covered without a mount
// in gateway's TestFailMapping.
func smallVolume(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		Unavailable(t, "cannot mount a small tmpfs here (%v: %s); the full-disk end-to-end test needs it", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// TestDiskFull fills a real (small) file system: writes that do not fit
// answer 507 XEnvelopegwStorageFull, which SDKs do not retry, and leave
// nothing behind; reads and listings go on; freeing space makes writes
// work again. Before, a full disk answered 503 "please retry".
func TestDiskFull(t *testing.T) {
	vol := smallVolume(t, 8<<20)
	g := Start(t, Options{DataDir: vol})
	c := S3Client(t, g, S3Options{})
	bucket := newBucket(t, c)
	keep := bytes.Repeat([]byte("keep me "), 64<<10) // 512 KiB
	put(t, c, bucket, "keep", keep)

	chunk := bytes.Repeat([]byte("f"), 1<<20)
	var full error
	stored := 0
	for i := range 20 {
		key := fmt.Sprintf("fill-%02d", i)
		_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(chunk)})
		if err != nil {
			full = err
			break
		}
		stored++
	}
	if full == nil {
		t.Fatal("20 MiB fit on an 8 MiB volume")
	}
	wantAPIError(t, full, "XEnvelopegwStorageFull", 507)
	var ae smithy.APIError
	errors.As(full, &ae)
	if !strings.Contains(ae.ErrorMessage(), "full") {
		t.Errorf("message %q does not say the volume is full", ae.ErrorMessage())
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(full) == aws.TrueTernary {
		t.Errorf("the SDK's default retryer would retry %v", full)
	}
	failedKey := fmt.Sprintf("fill-%02d", stored)
	t.Logf("volume full after %d MiB objects: %v", stored, full)

	// An overwrite that does not fit leaves the old version readable.
	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("keep"), Body: bytes.NewReader(bytes.Repeat(chunk, 3))})
	wantAPIError(t, err, "XEnvelopegwStorageFull", 507)
	if got := get(t, c, bucket, "keep"); !bytes.Equal(got, keep) {
		t.Fatal("a failed overwrite changed the object")
	}

	// Multipart needs space too, and says so the same way.
	var mp *s3.CreateMultipartUploadOutput
	mp, err = c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp")})
	if err == nil {
		// Its small state record may fit; a part does not.
		_, err = c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: mp.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader(chunk)})
		wantAPIError(t, err, "XEnvelopegwStorageFull", 507)
		if _, err := c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: mp.UploadId}); err != nil {
			t.Errorf("abort on a full volume: %v", err)
		}
	} else {
		wantAPIError(t, err, "XEnvelopegwStorageFull", 507)
	}

	// Reads and listings keep working, and the failed object is nowhere.
	if got := get(t, c, bucket, "keep"); !bytes.Equal(got, keep) {
		t.Fatal("object read back differs on a full volume")
	}
	list, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatalf("listing on a full volume: %v", err)
	}
	if n := len(list.Contents); n != stored+1 {
		t.Errorf("listing has %d objects, want %d", n, stored+1)
	}
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &bucket, Key: &failedKey}); httpStatus(err) != 404 {
		t.Errorf("HEAD of the object that did not fit: %v, want 404", err)
	}
	var leftovers []string
	filepath.WalkDir(vol, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && filepath.Base(filepath.Dir(p)) == "tmp" {
			leftovers = append(leftovers, p)
		}
		return nil
	})
	if len(leftovers) > 0 {
		t.Errorf("failed writes left files: %v", leftovers)
	}
	if !g.AwaitLog("storage volume full") {
		t.Errorf("the log does not say the volume is full")
	}

	// Free space: writes work again.
	for i := range stored {
		if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String(fmt.Sprintf("fill-%02d", i))}); err != nil {
			t.Fatalf("delete on a full volume: %v", err)
		}
	}
	put(t, c, bucket, failedKey, chunk)
	if got := get(t, c, bucket, failedKey); !bytes.Equal(got, chunk) {
		t.Fatal("object written after freeing space reads back differently")
	}
}
