package testharness

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
)

// TestPostObjectBrokenForms sends browser forms whose multipart framing
// is broken, over raw HTTP, with valid signed fields: every one gets an
// S3 XML error (never a dropped connection or an empty answer) and none
// stores an object. A file part cut off before the form's closing boundary
// is an incomplete body, whose detail names no declared length (a form's
// file has none).
func TestPostObjectBrokenForms(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	mc := MinioClient(t, g)
	c := S3Client(t, g, S3Options{})
	const b = "post-broken"
	if err := mc.MakeBucket(context.Background(), b, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	fields := presignPost(t, mc, func(p *minio.PostPolicy) { p.SetBucket(b); p.SetKey("k") })
	const bd = "brokenformboundary"
	var head strings.Builder
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		fmt.Fprintf(&head, "--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", bd, k, fields[k])
	}
	file := "--" + bd + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\nsome data"
	ct := "multipart/form-data; boundary=" + bd
	for _, tc := range []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"file part never closed", ct, head.String() + file, 400, "IncompleteBody"},
		{"body ends inside the fields", ct, head.String()[:head.Len()/2], 400, "MalformedPOSTRequest"},
		{"boundary not the one declared", "multipart/form-data; boundary=other", head.String() + file + "\r\n--" + bd + "--\r\n", 400, "MalformedPOSTRequest"},
		{"no boundary declared", "multipart/form-data", head.String() + file + "\r\n--" + bd + "--\r\n", 400, "MalformedPOSTRequest"},
		{"part without Content-Disposition", ct, "--" + bd + "\r\nContent-Type: text/plain\r\n\r\nx\r\n" + head.String() + file + "\r\n--" + bd + "--\r\n", 400, "MalformedPOSTRequest"},
		{"garbage", ct, "not a form at all", 400, "MalformedPOSTRequest"},
	} {
		req := mustRequest(t, http.MethodPost, g.Endpoint+"/"+b, []byte(tc.body))
		req.Header.Set("Content-Type", tc.ct)
		resp, body := rawDo(t, g, req)
		var e struct{ Code, Detail string }
		if err := xml.Unmarshal(body, &e); err != nil || resp.StatusCode != tc.status || e.Code != tc.code || strings.Contains(e.Detail, "-1") {
			t.Errorf("%s: %d %q (%v), want %d %s", tc.name, resp.StatusCode, body, err, tc.status, tc.code)
		}
	}
	if _, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")}); httpStatus(err) != http.StatusNotFound {
		t.Errorf("after only broken forms, HEAD k: %v (want 404)", err)
	}
	// The same fields, framed correctly, store the object.
	if resp, body := postForm(t, g, b, fields, "f", []byte("some data")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("the well-formed form: %d %s", resp.StatusCode, bytes.TrimSpace(body))
	}
}
