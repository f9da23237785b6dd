package testharness

import (
	"bufio"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// jsonLinesOf returns the JSON log lines of g that carry request ID id,
// waiting up to five seconds until one has msg want.
func jsonLinesOf(t *testing.T, g *Gateway, id, want string) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var lines []map[string]any
		found := false
		sc := bufio.NewScanner(strings.NewReader(g.Log()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil || m["request_id"] != id {
				continue // the startup banner is not JSON
			}
			lines = append(lines, m)
			found = found || strings.Contains(m["msg"].(string), want)
		}
		if found || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hasLine reports a line whose msg contains msg and whose fields include
// want.
func hasLine(lines []map[string]any, msg string, want map[string]any) bool {
	for _, l := range lines {
		if s, _ := l["msg"].(string); strings.Contains(s, msg) && includes(l, want) {
			return true
		}
	}
	return false
}

// TestOpsRequestIDOfConditionalWrite: a conditional PUT refused because
// the current object does not verify (it was signed by a key this gateway
// no longer trusts) answers 412, and the gateway's warning about the
// object carries the request's ID, as the access line does.
func TestOpsRequestIDOfConditionalWrite(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, Args: []string{"--log-format", "json"}})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	etag := aws.ToString(put(t, c, b, "base", []byte("full backup")).ETag)
	g.Stop()
	if err := os.Remove(g.SigningKey); err != nil {
		t.Fatal(err)
	}
	os.Remove(g.SignerFile)
	KeygenSign(t, g.SigningKey) // a new signing key: the stored object no longer verifies
	g.Restart()

	resp, body := rawDo(t, g, signed(t, g, "PUT", "/"+b+"/base", nil, []byte("incremental"), "", http.Header{"If-Match": {etag}}))
	if resp.StatusCode != 412 {
		t.Fatalf("conditional PUT over an object that does not verify: %d %s, want 412", resp.StatusCode, body)
	}
	id := resp.Header.Get("x-amz-request-id")
	lines := jsonLinesOf(t, g, id, "does not verify")
	if !hasLine(lines, "conditional write: the current object does not verify", map[string]any{"key": "base"}) {
		t.Errorf("no gateway line with request_id %s: %v\n%s", id, lines, tail(g.Log(), 4000))
	}
	if !hasLine(lines, "s3 request", map[string]any{"op": "PutObject", "status": float64(412)}) {
		t.Errorf("no access line with request_id %s: %v", id, lines)
	}
}

// TestOpsRequestIDOfBackendWarning: a CompleteMultipartUpload whose part
// record was lost on the volume fails with InvalidPart, and the storage
// backend's warning about the damaged record carries the request's ID,
// as the access line does.
func TestOpsRequestIDOfBackendWarning(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true, Args: []string{"--log-format", "json"}})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	key := aws.String("split.xb")
	cu, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	up, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: key, UploadId: cu.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("only part")})
	if err != nil {
		t.Fatal(err)
	}
	// Empty every record of the upload but the upload's own: the part's.
	damaged := 0
	err = filepath.WalkDir(g.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(p, *cu.UploadId) || d.Name() == "upload" {
			return err
		}
		damaged++
		return os.Truncate(p, 0)
	})
	if err != nil || damaged == 0 {
		t.Fatalf("damaging the part record: %v (%d files)", err, damaged)
	}
	body := []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + aws.ToString(up.ETag) + `</ETag></Part></CompleteMultipartUpload>`)
	resp, out := rawDo(t, g, signed(t, g, "POST", "/"+b+"/split.xb", map[string][]string{"uploadId": {*cu.UploadId}}, body, "", nil))
	if resp.StatusCode != 400 {
		t.Fatalf("complete with a damaged part record: %d %s, want 400 InvalidPart", resp.StatusCode, out)
	}
	id := resp.Header.Get("x-amz-request-id")
	lines := jsonLinesOf(t, g, id, "posix: skipping a damaged record")
	if !hasLine(lines, "posix: skipping a damaged record", map[string]any{"op": "read parts"}) {
		t.Errorf("no backend line with request_id %s: %v\n%s", id, lines, tail(g.Log(), 4000))
	}
	if !hasLine(lines, "s3 request", map[string]any{"op": "CompleteMultipartUpload", "status": float64(400)}) {
		t.Errorf("no access line with request_id %s: %v", id, lines)
	}
}

// accessLines returns g's JSON access log lines ("s3 request").
func accessLines(g *Gateway) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(g.Log()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "s3 request" {
			out = append(out, m)
		}
	}
	return out
}

// TestOpsAccessLog: the access line of a request names the user, the
// operation, bucket and key, the status, the bytes and the duration;
// --access-log=false drops those lines but keeps the line of an aborted
// response (a read of tampered ciphertext), which an operator must see.
func TestOpsAccessLog(t *testing.T) {
	t.Parallel()
	users := filepath.Join(t.TempDir(), "users.json")
	dba := NewUser("dba-backup", "readwrite")
	WriteUsersFile(t, users, dba)

	on := Start(t, Options{NoFsync: true, Args: []string{"--log-format", "json", "--users", users}})
	c := UserS3Client(t, on, dba, S3Options{})
	b := newBucket(t, c)
	put(t, c, b, "nightly/full.xb", Data(4, 12345))
	var line map[string]any
	for deadline := time.Now().Add(5 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range accessLines(on) {
			if l["op"] == "PutObject" {
				line = l
			}
		}
	}
	want := map[string]any{"user": dba.Name, "access_key": dba.AccessKey, "bucket": b, "key": "nightly/full.xb",
		"status": float64(200), "bytes_in": float64(12345), "method": "PUT"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access line %s = %v, want %v (line %v)", k, line[k], v, line)
		}
	}
	if d, _ := line["duration"].(float64); d <= 0 {
		t.Errorf("access line duration %v", line["duration"])
	}
	if id, _ := line["request_id"].(string); id == "" {
		t.Errorf("access line without request_id: %v", line)
	}

	off := Start(t, Options{NoFsync: true, Args: []string{"--log-format", "json", "--access-log=false"}})
	c = S3Client(t, off, S3Options{})
	b = newBucket(t, c)
	put(t, c, b, "victim", Data(5, 3*mib))
	get(t, c, b, "victim")
	_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("missing")})
	wantAPIError(t, err, "NoSuchKey", 404)
	if ls := accessLines(off); len(ls) != 0 {
		t.Errorf("--access-log=false still logs %d access lines: %v", len(ls), ls)
	}
	path, size := largestFile(t, off.DataDir)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var one [1]byte
	f.ReadAt(one[:], size/2)
	one[0] ^= 0x20
	f.WriteAt(one[:], size/2)
	f.Close()
	resp, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("victim")})
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("a read of tampered ciphertext succeeded")
	}
	found := false
	for deadline := time.Now().Add(5 * time.Second); !found && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range accessLines(off) {
			found = found || (l["op"] == "GetObject" && l["key"] == "victim" && l["aborted"] == true)
		}
	}
	if !found {
		t.Errorf("with --access-log=false the aborted read is not logged:\n%s", tail(off.Log(), 4000))
	}
}
