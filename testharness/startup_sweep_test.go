package testharness

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestKilledGatewayLeftoversSweptAtStart (issue 8, item 6): a gateway
// killed while it receives an upload leaves its temp file; the next start
// removes it at once (its writer's lease is free), not after a day, and the
// log says so. A second gateway sharing the volume has an upload in
// flight meanwhile: its temp file is as fresh as the dead one's, but its
// lease is held, so the sweep leaves it and the upload completes.
func TestKilledGatewayLeftoversSweptAtStart(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, TLS: true}) // TLS: the SDK streams an unseekable body only there
	g2 := Start(t, Options{NoFsync: true, TLS: true, Share: g})
	c, c2 := S3Client(t, g, S3Options{}), S3Client(t, g2, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "kept", []byte("an acknowledged object"))
	tmp := filepath.Join(g.DataDir, "buckets", b, "tmp")

	// Uploads whose bodies stall after 1 MiB, so each gateway holds a
	// temp file when the first one dies.
	stalled := func(c *s3.Client, key string, n int) (*io.PipeWriter, chan error) {
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String(key), Body: pr, ContentLength: aws.Int64(4 << 20)})
			done <- err
		}()
		go pw.Write(Data(7, 1<<20))
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if names, _ := os.ReadDir(tmp); len(names) >= n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no temp file appeared for the stalled upload of %s", key)
			}
		}
		return pw, done
	}
	pw, _ := stalled(c, "in-flight", 1)
	defer pw.Close()
	livePW, liveDone := stalled(c2, "live", 2)
	defer livePW.Close()
	g.Kill()
	if names, _ := os.ReadDir(tmp); len(names) != 2 {
		t.Fatalf("tmp holds %d files, want the killed gateway's and the live one's", len(names))
	}

	g.Restart()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		names, _ := os.ReadDir(tmp)
		if len(names) == 0 {
			t.Fatal("the startup sweep removed the live gateway's temp file too")
		}
		if len(names) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the restarted gateway did not sweep the dead one's temp file within 30s")
		}
	}
	// The live gateway's upload lost nothing to the sweep.
	rest := Data(8, 3<<20)
	if _, err := livePW.Write(rest); err != nil {
		t.Fatalf("the live upload's rest: %v", err)
	}
	livePW.Close()
	if err := <-liveDone; err != nil {
		t.Fatalf("the live gateway's upload, in flight during the other's startup sweep: %v", err)
	}
	want := append(Data(7, 1<<20), rest...)
	if got := get(t, c2, b, "live"); !bytes.Equal(got, want) {
		t.Errorf("the live upload reads %d bytes, want %d", len(got), len(want))
	}
	if got := get(t, c, b, "kept"); string(got) != "an acknowledged object" {
		t.Errorf("kept reads %q", got)
	}
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("in-flight")}); err == nil {
		t.Error("the unacknowledged upload is visible")
	}
	log, _ := os.ReadFile(g.logPath)
	if !strings.Contains(string(log), "swept crash leftovers") || !strings.Contains(string(log), "dead_writers=1") {
		t.Errorf("the log does not report the sweep:\n%s", log)
	}
}
