package testharness

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestVersioningTwoGateways: two serve processes on one volume write and
// delete the same key of a versioned bucket concurrently. Every
// acknowledged write is a version that reads back with its bytes, no
// version is lost, and both processes list the same history. A write that
// lost a commit race is answered 503 and retried, as SDKs do.
func TestVersioningTwoGateways(t *testing.T) {
	t.Parallel()
	g1 := Start(t, Options{NoFsync: true})
	g2 := Start(t, Options{NoFsync: true, Share: g1})
	c1, c2 := S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})
	b := newBucket(t, c1)
	enableVersioning(t, c2, b, types.BucketVersioningStatusEnabled)
	key := "shared/key"
	const writers, each = 4, 6
	var mu sync.Mutex
	written := map[string][]byte{} // version ID -> body
	markers := map[string]bool{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := []*s3.Client{c1, c2}[w%2]
			for i := range each {
				body := Data(uint64(100*w+i), 1000+w*10+i)
				for attempt := 0; ; attempt++ {
					var vid string
					var err error
					if i == 3 {
						var out *s3.DeleteObjectOutput
						out, err = c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: &key})
						if err == nil {
							vid = aws.ToString(out.VersionId)
						}
					} else {
						var out *s3.PutObjectOutput
						out, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(body)})
						if err == nil {
							vid = aws.ToString(out.VersionId)
						}
					}
					if err != nil && httpStatus(err) == 503 && attempt < 50 {
						continue
					}
					if err != nil {
						t.Errorf("writer %d op %d: %v", w, i, err)
						return
					}
					mu.Lock()
					if i == 3 {
						markers[vid] = true
					} else {
						written[vid] = body
					}
					mu.Unlock()
					break
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, c := range []*s3.Client{c1, c2} {
		var versions, dms []string
		in := &s3.ListObjectVersionsInput{Bucket: &b, MaxKeys: aws.Int32(7)}
		for {
			lv, err := c.ListObjectVersions(ctx(t), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range lv.Versions {
				versions = append(versions, aws.ToString(v.VersionId))
			}
			for _, m := range lv.DeleteMarkers {
				dms = append(dms, aws.ToString(m.VersionId))
			}
			if !aws.ToBool(lv.IsTruncated) {
				break
			}
			in.KeyMarker, in.VersionIdMarker = lv.NextKeyMarker, lv.NextVersionIdMarker
		}
		if len(versions) != len(written) || len(dms) != len(markers) {
			t.Fatalf("listed %d versions and %d markers, acknowledged %d and %d", len(versions), len(dms), len(written), len(markers))
		}
		for _, v := range versions {
			want, ok := written[v]
			if !ok {
				t.Fatalf("listed version %s was never acknowledged", v)
			}
			if got, _ := getVersion(t, c, b, key, v); !bytes.Equal(got, want) {
				t.Fatalf("version %s reads other bytes", v)
			}
		}
	}
}

// TestVersioningMultipartAndListing: a multipart upload into a versioned
// bucket makes a version; ListObjectVersions pages by key and version
// markers and rolls up common prefixes, as S3.
func TestVersioningMultipartAndListing(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	enableVersioning(t, c, b, types.BucketVersioningStatusEnabled)
	key := "mp/obj"
	first := put(t, c, b, key, Data(1, 100))
	cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{Data(2, 5*mib), Data(3, 1234)}
	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, uploadPart(t, c, b, key, aws.ToString(cr.UploadId), int32(i+1), p, ""))
	}
	co, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: cr.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil || aws.ToString(co.VersionId) == "" || aws.ToString(co.VersionId) == aws.ToString(first.VersionId) {
		t.Fatalf("Complete in a versioned bucket: %v, version %q", err, aws.ToString(co.VersionId))
	}
	if got, _ := getVersion(t, c, b, key, aws.ToString(first.VersionId)); !bytes.Equal(got, Data(1, 100)) {
		t.Fatal("the version before the multipart upload is lost")
	}
	if got := get(t, c, b, key); !bytes.Equal(got, append(append([]byte{}, parts[0]...), parts[1]...)) {
		t.Fatal("the multipart version reads other bytes")
	}

	// Three keys with three versions each, and a "folder".
	for _, k := range []string{"a", "b", "dir/x", "dir/y"} {
		for i := range 3 {
			put(t, c, b, k, []byte(fmt.Sprintf("%s-%d", k, i)))
		}
	}
	var seen []string
	in := &s3.ListObjectVersionsInput{Bucket: &b, MaxKeys: aws.Int32(2), Delimiter: aws.String("/")}
	for {
		lv, err := c.ListObjectVersions(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range lv.Versions {
			seen = append(seen, aws.ToString(v.Key))
		}
		for _, p := range lv.CommonPrefixes {
			seen = append(seen, aws.ToString(p.Prefix))
		}
		if !aws.ToBool(lv.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = lv.NextKeyMarker, lv.NextVersionIdMarker
	}
	want := []string{"a", "a", "a", "b", "b", "b", "dir/", "mp/"}
	if !equalStrings(seen, want) {
		t.Errorf("paged listing with delimiter: %v, want %v", seen, want)
	}
	lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b, Prefix: aws.String("dir/")})
	if err != nil || len(lv.Versions) != 6 || !aws.ToBool(lv.Versions[0].IsLatest) || aws.ToBool(lv.Versions[1].IsLatest) {
		t.Fatalf("versions under dir/: %v %d", err, len(lv.Versions))
	}
	if aws.ToString(lv.Versions[0].Key) != "dir/x" || aws.ToString(lv.Versions[3].Key) != "dir/y" {
		t.Errorf("order: %s %s", aws.ToString(lv.Versions[0].Key), aws.ToString(lv.Versions[3].Key))
	}
}

// TestVersioningHidesMarkerOnlyPrefixes: a "folder" whose keys all have a
// delete marker as their current version is not listed, as in S3, and
// comes back when an object is written under it again.
func TestVersioningHidesMarkerOnlyPrefixes(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := "ver-prefixes"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"day1/a", "day2/a", "day2/b", "day3/a"} {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"day2/a", "day2/b", "day3/a"} {
		if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	prefixes := func(maxKeys int32) []string {
		var got []string
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(maxKeys)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, cp := range page.CommonPrefixes {
				got = append(got, aws.ToString(cp.Prefix))
			}
		}
		return got
	}
	for _, mk := range []int32{1000, 1} {
		if got := prefixes(mk); !slices.Equal(got, []string{"day1/"}) {
			t.Errorf("max-keys %d: common prefixes %q, want only day1/ (day2/ and day3/ hold only delete markers)", mk, got)
		}
	}
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("day3/b"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if got := prefixes(1000); !slices.Equal(got, []string{"day1/", "day3/"}) {
		t.Errorf("after a new object under day3/: %q", got)
	}
	// ListObjectVersions still shows the markers' prefixes.
	v, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b, Delimiter: aws.String("/")})
	if err != nil || len(v.CommonPrefixes) != 3 {
		t.Errorf("ListObjectVersions: %v, %d common prefixes, want 3", err, len(v.CommonPrefixes))
	}
}
