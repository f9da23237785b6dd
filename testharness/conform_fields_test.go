package testharness

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestUploadOpsNoSuchBucketFirst: every multipart operation on a bucket
// that does not exist answers NoSuchBucket, as S3 does, even though the
// upload does not exist either.
func TestUploadOpsNoSuchBucketFirst(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	src := newBucket(t, c)
	put(t, c, src, "src", []byte("data"))
	b, k, id := "no-such-bucket-here", "k", "bm9zdWNodXBsb2Fk"
	for name, call := range map[string]func() error{
		"UploadPart": func() error {
			_, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &k, UploadId: &id, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
			return err
		},
		"UploadPartCopy": func() error {
			_, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: &k, UploadId: &id, PartNumber: aws.Int32(1), CopySource: aws.String(src + "/src")})
			return err
		},
		"ListParts": func() error {
			_, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &k, UploadId: &id})
			return err
		},
		"CompleteMultipartUpload": func() error {
			_, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &k, UploadId: &id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"d41d8cd98f00b204e9800998ecf8427e"`)}}}})
			return err
		},
		"AbortMultipartUpload": func() error {
			_, err := c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: &b, Key: &k, UploadId: &id})
			return err
		},
		"ListMultipartUploads": func() error {
			_, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
			return err
		},
		"CreateMultipartUpload": func() error {
			_, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &k})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantAPIError(t, call(), "NoSuchBucket", 404) })
	}
}

// TestListingFields reads the raw XML of every listing and checks the
// elements S3 always sends, empty or not (SDKs and conformance suites read
// them), and that encoding-type=url encodes a space as %20 in exactly the
// elements AWS documents: ListObjects v1 leaves the top-level Prefix as
// sent (botocore decodes Delimiter, Marker, NextMarker, Key and
// CommonPrefixes only), v2 encodes it.
func TestListingFields(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	b := newBucket(t, c)
	put(t, c, b, "dir a/k 1", []byte("x"))
	put(t, c, b, "dir a/k 2", []byte("y"))
	up, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("dir a/up")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("dir a/up2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("dir a/up"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("p"))}); err != nil {
		t.Fatal(err)
	}
	list := func(path string, q url.Values) string {
		t.Helper()
		resp, body := rawDo(t, g, signed(t, g, "GET", path, q, nil, "", nil))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s?%s: %d %s", path, q.Encode(), resp.StatusCode, body)
		}
		return string(body)
	}
	want := func(what, doc string, elems ...string) {
		t.Helper()
		for _, e := range elems {
			if !strings.Contains(doc, e) {
				t.Errorf("%s: no %s in %s", what, e, doc)
			}
		}
	}
	refuse := func(what, doc string, elems ...string) {
		t.Helper()
		for _, e := range elems {
			if strings.Contains(doc, e) {
				t.Errorf("%s: %s present in %s", what, e, doc)
			}
		}
	}
	want("ListObjects", list("/"+b, nil), "<Prefix></Prefix>", "<Marker></Marker>", "<StorageClass>STANDARD</StorageClass>")
	want("ListObjectsV2", list("/"+b, url.Values{"list-type": {"2"}}), "<Prefix></Prefix>", "<StorageClass>STANDARD</StorageClass>")
	want("ListObjectVersions", list("/"+b, url.Values{"versions": {""}}), "<Prefix></Prefix>", "<KeyMarker></KeyMarker>", "<VersionIdMarker></VersionIdMarker>", "<StorageClass>STANDARD</StorageClass>")
	uploads := list("/"+b, url.Values{"uploads": {""}, "max-uploads": {"1"}})
	want("ListMultipartUploads", uploads, "<Prefix></Prefix>", "<KeyMarker></KeyMarker>", "<UploadIdMarker></UploadIdMarker>",
		"<NextKeyMarker>dir a/up</NextKeyMarker>", "<NextUploadIdMarker>"+*up.UploadId+"</NextUploadIdMarker>", "<IsTruncated>true</IsTruncated>", "<StorageClass>STANDARD</StorageClass>")
	want("ListParts", list("/"+b+"/dir%20a/up", url.Values{"uploadId": {*up.UploadId}}), "<StorageClass>STANDARD</StorageClass>", "<PartNumberMarker>0</PartNumberMarker>")

	enc := url.Values{"encoding-type": {"url"}, "prefix": {"dir a/"}, "delimiter": {"/"}, "max-keys": {"1"}}
	v1 := list("/"+b, enc)
	want("ListObjects encoding-type=url", v1, "<Prefix>dir a/</Prefix>", "<Key>dir%20a/k%201</Key>", "<NextMarker>dir%20a/k%201</NextMarker>")
	refuse("ListObjects encoding-type=url", v1, "+")
	enc.Set("list-type", "2")
	v2 := list("/"+b, enc)
	want("ListObjectsV2 encoding-type=url", v2, "<Prefix>dir%20a/</Prefix>", "<Key>dir%20a/k%201</Key>")
	refuse("ListObjectsV2 encoding-type=url", v2, "+")

	// An empty continuation token is refused, as S3 does.
	resp, body := rawDo(t, g, signed(t, g, "GET", "/"+b, url.Values{"list-type": {"2"}, "continuation-token": {""}}, nil, "", nil))
	checkXMLError(t, resp, body, http.StatusBadRequest, "InvalidArgument")
}

// TestObjectHeaderFields: the header and field answers clients read —
// GET ?partNumber=1 of an empty object (no malformed Content-Range),
// "bytes= -1" (not a suffix range: the whole object), the absolute
// Location of CompleteMultipartUpload, an empty Content-MD5 (InvalidDigest),
// and BucketRegion/BucketArn in ListBuckets.
func TestObjectHeaderFields(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{ChecksumWhenRequired: true})
	b := newBucket(t, c)
	put(t, c, b, "empty", nil)
	put(t, c, b, "ten", []byte("0123456789"))

	for _, m := range []string{"GET", "HEAD"} {
		resp, body := rawDo(t, g, signed(t, g, m, "/"+b+"/empty", url.Values{"partNumber": {"1"}}, nil, "", nil))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Range") != "" || len(body) != 0 {
			t.Errorf("%s ?partNumber=1 of an empty object: %d, Content-Range %q, %d bytes", m, resp.StatusCode, resp.Header.Get("Content-Range"), len(body))
		}
	}
	if out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("empty"), PartNumber: aws.Int32(1)}); err != nil {
		t.Errorf("SDK GetObject partNumber=1 of an empty object: %v", err)
	} else {
		out.Body.Close()
	}

	for _, rng := range []string{"bytes= -1", "bytes=0 -1", "bytes=--1"} {
		resp, body := rawDo(t, g, signed(t, g, "GET", "/"+b+"/ten", nil, nil, "", http.Header{"Range": {rng}}))
		if resp.StatusCode != http.StatusOK || string(body) != "0123456789" || resp.Header.Get("Content-Range") != "" {
			t.Errorf("Range %q: %d %q (Content-Range %q), want the whole object", rng, resp.StatusCode, body, resp.Header.Get("Content-Range"))
		}
	}
	resp, body := rawDo(t, g, signed(t, g, "GET", "/"+b+"/ten", nil, nil, "", http.Header{"Range": {"bytes=-1"}}))
	if resp.StatusCode != http.StatusPartialContent || string(body) != "9" {
		t.Errorf("Range bytes=-1: %d %q", resp.StatusCode, body)
	}

	key := "dir/a b+c"
	up, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := g.Endpoint + "/" + b + "/dir/a%20b+c"; aws.ToString(done.Location) != want {
		t.Errorf("CompleteMultipartUpload Location %q, want %q", aws.ToString(done.Location), want)
	}

	resp, body = rawDo(t, g, signed(t, g, "PUT", "/"+b+"/md5", nil, []byte("bar"), "", http.Header{"Content-Md5": {""}}))
	checkXMLError(t, resp, body, http.StatusBadRequest, "InvalidDigest")

	lb, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{MaxBuckets: aws.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, bk := range lb.Buckets {
		if aws.ToString(bk.Name) == b {
			found = true
			if aws.ToString(bk.BucketRegion) != "us-east-1" || aws.ToString(bk.BucketArn) != "arn:aws:s3:::"+b {
				t.Errorf("ListBuckets %s: region %q arn %q", b, aws.ToString(bk.BucketRegion), aws.ToString(bk.BucketArn))
			}
		}
	}
	if !found {
		t.Errorf("ListBuckets does not list %s", b)
	}
}
