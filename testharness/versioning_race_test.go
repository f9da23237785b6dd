package testharness

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"envelopegw/backend/s3/s3test"
)

// TestVersionedConcurrentWrites: in a versioning-enabled bucket every
// successful PUT is a version, as in S3. Concurrent PUTs (and copies) of
// one key through two gateway processes on one volume, with the SDK's
// retries off, all succeed; ListObjectVersions lists exactly the
// acknowledged versions, one of them latest; every version reads back as
// written and the plain GET reads the latest. (A lost commit race was
// answered 503 before, and the PUT's body was gone.)
func TestVersionedConcurrentWrites(t *testing.T) {
	t.Parallel()
	g1 := Start(t, Options{NoFsync: true})
	g2 := Start(t, Options{NoFsync: true, Share: g1})
	concurrentVersionedWrites(t, g1, g2)
}

// TestVersionedConcurrentWritesUpstream: the same on an upstream S3
// store, where keeping a version is a server-side copy.
func TestVersionedConcurrentWritesUpstream(t *testing.T) {
	t.Parallel()
	srv := s3test.SharedMinIO(t)
	g1 := Start(t, Options{Upstream: srv})
	g2 := Start(t, Options{Upstream: srv, Share: g1})
	concurrentVersionedWrites(t, g1, g2)
}

func concurrentVersionedWrites(t *testing.T, g1, g2 *Gateway) {
	clients := []*s3.Client{S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})}
	c := clients[0]
	b := newBucket(t, c)
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	key := "db/backup.xbstream"
	src := put(t, c, b, "source", []byte("copied body"))

	const rounds, writers = 4, 12
	var mu sync.Mutex
	bodies := map[string][]byte{} // version ID -> body
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				cl := clients[i%2]
				var vid string
				var body []byte
				if i%4 == 3 {
					out, err := cl.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: &key,
						CopySource: aws.String(b + "/" + url.PathEscape("source") + "?versionId=" + aws.ToString(src.VersionId))})
					if err != nil {
						t.Errorf("round %d: CopyObject %d: %v", r, i, err)
						return
					}
					vid, body = aws.ToString(out.VersionId), []byte("copied body")
				} else {
					body = []byte(fmt.Sprintf("round %d writer %d %s", r, i, Data(uint64(r*100+i), 1000+i)))
					out, err := cl.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(body)})
					if err != nil {
						t.Errorf("round %d: PutObject %d: %v", r, i, err)
						return
					}
					vid = aws.ToString(out.VersionId)
				}
				mu.Lock()
				defer mu.Unlock()
				if _, dup := bodies[vid]; dup || vid == "" || vid == "null" {
					t.Errorf("round %d: writer %d got version ID %q twice or none", r, i, vid)
				}
				bodies[vid] = body
			}(i)
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}

	lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b, Prefix: &key})
	if err != nil {
		t.Fatal(err)
	}
	latest := ""
	seen := map[string]bool{}
	for _, v := range lv.Versions {
		id := aws.ToString(v.VersionId)
		if seen[id] {
			t.Errorf("version %s listed twice", id)
		}
		seen[id] = true
		if _, ok := bodies[id]; !ok {
			t.Errorf("listed version %s was never acknowledged", id)
		}
		if aws.ToBool(v.IsLatest) {
			if latest != "" {
				t.Errorf("two latest versions: %s and %s", latest, id)
			}
			latest = id
		}
	}
	if len(lv.DeleteMarkers) != 0 || len(seen) != len(bodies) || latest == "" {
		t.Fatalf("ListObjectVersions: %d versions (%d acknowledged), %d markers, latest %q",
			len(seen), len(bodies), len(lv.DeleteMarkers), latest)
	}
	for vid, want := range bodies {
		if got, _ := getVersion(t, clients[len(vid)%2], b, key, vid); !bytes.Equal(got, want) {
			t.Fatalf("version %s reads %q, want %q", vid, got, want)
		}
	}
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, bodies[latest]) || aws.ToString(out.VersionId) != latest {
		t.Fatalf("GET reads version %s %q (%v), not the latest version %s", aws.ToString(out.VersionId), got, err, latest)
	}
}
