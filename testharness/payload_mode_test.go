package testharness

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestUnsignedTrailerOnlyForObjectData sends
// "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER" as raw signed
// HTTP (SDKs send it only for PutObject and UploadPart) to operations that
// take a configuration document: S3 answers 400 InvalidRequest "The value
// of x-amz-content-sha256 header is invalid." and applies nothing, while
// PutObject in the same mode still stores the object.
func TestUnsignedTrailerOnlyForObjectData(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	chunked := func(data []byte) ([]byte, http.Header) {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "%x\r\n%s\r\n0\r\n", len(data), data)
		fmt.Fprintf(&buf, "x-amz-checksum-crc32:%s\r\n\r\n", crc32b64(crc32.IEEETable, data))
		return buf.Bytes(), http.Header{
			"Content-Encoding":             {"aws-chunked"},
			"X-Amz-Decoded-Content-Length": {strconv.Itoa(len(data))},
			"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
		}
	}
	const mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	cors := []byte(`<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>`)
	tagging := []byte(`<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`)
	for _, tc := range []struct {
		name, method, path string
		query              url.Values
		doc                []byte
	}{
		{"PutBucketCors", "PUT", "/" + b, url.Values{"cors": {""}}, cors},
		{"PutBucketTagging", "PUT", "/" + b, url.Values{"tagging": {""}}, tagging},
		{"PutObjectTagging", "PUT", "/" + b + "/obj", url.Values{"tagging": {""}}, tagging},
	} {
		body, hdr := chunked(tc.doc)
		resp, out := rawDo(t, g, signed(t, g, tc.method, tc.path, tc.query, body, mode, hdr))
		if resp.StatusCode != 400 || !bytes.Contains(out, []byte("<Code>InvalidRequest</Code><Message>The value of x-amz-content-sha256 header is invalid.</Message>")) {
			t.Errorf("%s: %d %s, want 400 InvalidRequest", tc.name, resp.StatusCode, out)
		}
	}
	if _, err := c.GetBucketCors(ctx(t), &s3.GetBucketCorsInput{Bucket: &b}); httpStatus(err) != http.StatusNotFound {
		t.Errorf("the refused CORS configuration was applied (GetBucketCors: %v)", err)
	}
	if _, err := c.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: &b}); httpStatus(err) != http.StatusNotFound {
		t.Errorf("the refused bucket tags were applied (GetBucketTagging: %v)", err)
	}

	data := Data(3, 100)
	body, hdr := chunked(data)
	resp, out := rawDo(t, g, signed(t, g, "PUT", "/"+b+"/obj", nil, body, mode, hdr))
	if resp.StatusCode != 200 {
		t.Fatalf("PutObject with %s: %d %s", mode, resp.StatusCode, out)
	}
	key := "obj"
	if o, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key}); err != nil || *o.ContentLength != int64(len(data)) {
		t.Fatalf("HeadObject after the chunked PutObject: %v", err)
	}
}
