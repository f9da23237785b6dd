package testharness

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestUsersReload changes the users file under a running gateway and
// sends it SIGHUP: the new users apply at once, on the connection already
// open; a broken file is refused with its line, and the previous users
// stay in force.
func TestUsersReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "users.json")
	writer, reader := NewUser("writer", "readwrite"), NewUser("reader", "restore")
	WriteUsersFile(t, path, writer)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", path}})

	// One keep-alive connection carries every request across the reloads.
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	var conn net.Conn
	trace := func(o *s3.Options) {
		o.HTTPClient = traceClient{hc, func(c net.Conn) {
			if conn != nil && c != conn {
				t.Errorf("a new connection after a reload")
			}
			conn = c
		}}
	}
	w := UserS3Client(t, g, writer, S3Options{}, trace)
	r := UserS3Client(t, g, reader, S3Options{}, trace)
	bucket := newBucket(t, w)
	put(t, w, bucket, "k", []byte("v1"))

	WriteUsersFile(t, path, reader)
	g.Reload("users reloaded")
	if _, err := w.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &bucket}); err == nil {
		t.Error("a removed user still lists")
	}
	if got := get(t, r, bucket, "k"); string(got) != "v1" {
		t.Errorf("new reader got %q", got)
	}
	_, err := r.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: strPtr("k2"), Body: bytes.NewReader([]byte("x"))})
	wantAPIError(t, err, "AccessDenied", 403)
	conn = nil // a write refused before its body closes the connection, by design

	broken := []byte("{\"users\": [\n  {\"access_key\": \"" + reader.AccessKey + "\", \"secret_key\": \"" + reader.SecretKey +
		"\",\n   \"policy\": {\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\"}}}]}")
	WriteFileAtomic(t, path, broken, 0o600)
	g.Reload("reload failed")
	if !g.AwaitLog("users.json:3:28: the statement has no Resource") {
		t.Errorf("the failed reload does not name file, line and problem:\n%s", tail(g.Log(), 2000))
	}
	if got := get(t, r, bucket, "k"); string(got) != "v1" {
		t.Errorf("after a failed reload: %q", got)
	}
	WriteUsersFile(t, path, reader)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	g.Reload("reload failed")
	if !g.AwaitLog("chmod 600") {
		t.Errorf("a users file readable by others was not refused:\n%s", tail(g.Log(), 2000))
	}
	get(t, r, bucket, "k")
}

// traceClient reports the connection of every request.
type traceClient struct {
	c       *http.Client
	gotConn func(net.Conn)
}

func (tc traceClient) Do(req *http.Request) (*http.Response, error) {
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { tc.gotConn(i.Conn) },
	}))
	return tc.c.Do(req)
}
