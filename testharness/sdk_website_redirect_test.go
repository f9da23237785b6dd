package testharness

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TestSDKWebsiteRedirectLocation: x-amz-website-redirect-location is
// object metadata, as in S3. PutObject, CreateMultipartUpload and
// CopyObject store it, GET and HEAD return it, a value that does not
// begin with "/", "http://" or "https://" is 400 InvalidRedirectLocation,
// and a copy never inherits the source's value: it gets the one sent with
// the copy request (which also makes a copy onto itself legal).
func TestSDKWebsiteRedirectLocation(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := newBucket(t, c)
	redirectOf := func(key string) string {
		t.Helper()
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatalf("HeadObject %s: %v", key, err)
		}
		o, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatalf("GetObject %s: %v", key, err)
		}
		o.Body.Close()
		if aws.ToString(h.WebsiteRedirectLocation) != aws.ToString(o.WebsiteRedirectLocation) {
			t.Errorf("%s: HEAD says %q, GET says %q", key, aws.ToString(h.WebsiteRedirectLocation), aws.ToString(o.WebsiteRedirectLocation))
		}
		return aws.ToString(h.WebsiteRedirectLocation)
	}

	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("page"), Body: strings.NewReader("x"),
		WebsiteRedirectLocation: aws.String("/other-page.html")}); err != nil {
		t.Fatalf("PutObject with a redirect: %v", err)
	}
	if got := redirectOf("page"); got != "/other-page.html" {
		t.Errorf("stored redirect %q, want /other-page.html", got)
	}

	for _, bad := range []string{"other-page.html", "ftp://example.com/x", "/" + strings.Repeat("a", 2048)} {
		_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: strings.NewReader("x"),
			WebsiteRedirectLocation: aws.String(bad)})
		wantAPIError(t, err, "InvalidRedirectLocation", 400)
		if want := "The website redirect location must have a prefix of 'http://' or 'https://' or '/'."; errMessage(err) != want {
			t.Errorf("message %q, want %q", errMessage(err), want)
		}
		_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("bad"), CopySource: aws.String(b + "/page"),
			WebsiteRedirectLocation: aws.String(bad)})
		wantAPIError(t, err, "InvalidRedirectLocation", 400)
		_, err = c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("bad"),
			WebsiteRedirectLocation: aws.String(bad)})
		wantAPIError(t, err, "InvalidRedirectLocation", 400)
	}
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("bad")}); httpStatus(err) != 404 {
		t.Errorf("a refused redirect left an object behind: %v", err)
	}

	// COPY directive: the source's redirect stays behind.
	if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("plain-copy"), CopySource: aws.String(b + "/page")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if got := redirectOf("plain-copy"); got != "" {
		t.Errorf("a copy inherited the source's redirect %q", got)
	}
	// The copy request's value, with either directive.
	for _, d := range []types.MetadataDirective{types.MetadataDirectiveCopy, types.MetadataDirectiveReplace} {
		key := "copy-" + string(d)
		if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: &key, CopySource: aws.String(b + "/page"),
			MetadataDirective: d, WebsiteRedirectLocation: aws.String("https://example.com/" + key)}); err != nil {
			t.Fatalf("CopyObject %s with a redirect: %v", d, err)
		}
		if got := redirectOf(key); got != "https://example.com/"+key {
			t.Errorf("%s copy has redirect %q", d, got)
		}
	}
	// Onto itself, changing only the redirect: legal, as S3's refusal
	// sentence says ("without changing ... website redirect location").
	if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("page"), CopySource: aws.String(b + "/page"),
		WebsiteRedirectLocation: aws.String("http://example.com/")}); err != nil {
		t.Fatalf("CopyObject onto itself with a new redirect: %v", err)
	}
	if got := redirectOf("page"); got != "http://example.com/" {
		t.Errorf("after the self-copy the redirect is %q", got)
	}

	// Multipart: set at creation, carried to the object.
	mp, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp"),
		WebsiteRedirectLocation: aws.String("/mp-target")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	up, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: aws.String("mp"), UploadId: mp.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	if _, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if got := redirectOf("mp"); got != "/mp-target" {
		t.Errorf("multipart object has redirect %q, want /mp-target", got)
	}
}

// errMessage is the S3 error message of an SDK error, or "".
func errMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}
