package testharness

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestListPartsMarkerWording: a ListParts part-number-marker that is no
// 32-bit integer is refused with S3's sentence for any bad integer query
// parameter, a negative one with its range sentence, both 400
// InvalidArgument; the value is in Detail, not the message. Raw signed
// requests: the SDKs type the marker and never send a bad one.
func TestListPartsMarkerWording(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := newBucket(t, c)
	up, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	for _, tc := range []struct{ marker, msg string }{
		{"invalid", "Provided part-number-marker not an integer or within integer range"},
		{"99999999999", "Provided part-number-marker not an integer or within integer range"},
		{"-3", "Argument part-number-marker must be an integer between 0 and 2147483647"},
	} {
		q := url.Values{"uploadId": {aws.ToString(up.UploadId)}, "part-number-marker": {tc.marker}}
		resp, body := rawDo(t, g, signed(t, g, http.MethodGet, "/"+b+"/k", q, nil, "", nil))
		checkXMLError(t, resp, body, http.StatusBadRequest, "InvalidArgument")
		if !strings.Contains(string(body), "<Message>"+tc.msg+"</Message>") {
			t.Errorf("part-number-marker=%s: %s", tc.marker, body)
		}
	}
	// A good marker still lists.
	q := url.Values{"uploadId": {aws.ToString(up.UploadId)}, "part-number-marker": {"2"}}
	resp, body := rawDo(t, g, signed(t, g, http.MethodGet, "/"+b+"/k", q, nil, "", nil))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<PartNumberMarker>2</PartNumberMarker>") {
		t.Errorf("part-number-marker=2: %d %s", resp.StatusCode, body)
	}
}
