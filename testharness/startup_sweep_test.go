package testharness

import (
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
// log says so. A second gateway sharing the volume keeps serving meanwhile.
func TestKilledGatewayLeftoversSweptAtStart(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, TLS: true}) // TLS: the SDK streams an unseekable body only there
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "kept", []byte("an acknowledged object"))
	tmp := filepath.Join(g.DataDir, "buckets", b, "tmp")

	// An upload whose body stalls after 1 MiB, so the gateway holds a temp
	// file when it dies.
	pr, pw := io.Pipe()
	go c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("in-flight"), Body: pr, ContentLength: aws.Int64(4 << 20)})
	go pw.Write(Data(7, 1<<20))
	defer pw.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if names, _ := os.ReadDir(tmp); len(names) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no temp file appeared for the stalled upload")
		}
	}
	g.Kill()
	if names, _ := os.ReadDir(tmp); len(names) == 0 {
		t.Fatal("the killed gateway left no temp file to sweep")
	}

	g.Restart()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if names, _ := os.ReadDir(tmp); len(names) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the restarted gateway did not sweep the dead one's temp file within 30s")
		}
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
