package testharness

import (
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSDKRangeOnEmptyObject: on a 0-byte object a suffix range of a
// non-zero length is the one satisfiable range (RFC 9110) and selects the
// whole, empty object: S3 answers GET and HEAD with 200, no Content-Range.
// Every other well-formed range (bytes=0-0, bytes=0-, bytes=-0) is 416.
func TestSDKRangeOnEmptyObject(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := newBucket(t, c)
	for _, key := range []string{"empty", "dir/"} {
		put(t, c, b, key, nil)
		for _, rng := range []string{"bytes=-1", "bytes=-100"} {
			o, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String(key), Range: aws.String(rng)})
			if err != nil {
				t.Fatalf("GetObject %s %s: %v", key, rng, err)
			}
			body, _ := io.ReadAll(o.Body)
			o.Body.Close()
			if len(body) != 0 || aws.ToInt64(o.ContentLength) != 0 || o.ContentRange != nil {
				t.Errorf("GetObject %s %s: %d bytes, length %d, Content-Range %q", key, rng, len(body), aws.ToInt64(o.ContentLength), aws.ToString(o.ContentRange))
			}
			h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String(key), Range: aws.String(rng)})
			if err != nil {
				t.Fatalf("HeadObject %s %s: %v", key, rng, err)
			}
			if aws.ToInt64(h.ContentLength) != 0 || h.ContentRange != nil {
				t.Errorf("HeadObject %s %s: length %d, Content-Range %q", key, rng, aws.ToInt64(h.ContentLength), aws.ToString(h.ContentRange))
			}
		}
		for _, rng := range []string{"bytes=0-0", "bytes=0-", "bytes=-0", "bytes=00-01"} {
			_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String(key), Range: aws.String(rng)})
			wantAPIError(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)
			_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String(key), Range: aws.String(rng)})
			wantAPIError(t, err, "", http.StatusRequestedRangeNotSatisfiable)
		}
	}
}
