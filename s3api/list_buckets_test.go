package s3api

import (
	"fmt"
	"strings"
	"testing"
)

type listBucketsDoc struct {
	Owner             struct{ ID string }
	Buckets           []struct{ Name, BucketRegion string } `xml:"Buckets>Bucket"`
	ContinuationToken string
	Prefix            string
}

func (e *testEnv) listBuckets(target string) listBucketsDoc {
	e.t.Helper()
	var d listBucketsDoc
	decodeXML(e.t, e.ok(req{method: "GET", target: target}, 200), &d)
	return d
}

func bucketNames(d listBucketsDoc) string {
	var n []string
	for _, b := range d.Buckets {
		n = append(n, b.Name)
	}
	return strings.Join(n, ",")
}

func TestListBucketsPaging(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.mkBucket(fmt.Sprintf("page-%d", i))
	}
	e.mkBucket("other")

	// A bare request lists everything, untruncated.
	d := e.listBuckets("/")
	if bucketNames(d) != "other,page-0,page-1,page-2,page-3,page-4" || d.ContinuationToken != "" || d.Prefix != "" {
		t.Fatalf("bare ListBuckets: %+v", d)
	}

	// Pages of two, following the token to the end.
	var got []string
	target := "/?max-buckets=2&prefix=page-"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		d := e.listBuckets(target)
		if d.Prefix != "page-" {
			t.Errorf("Prefix %q not echoed", d.Prefix)
		}
		if len(d.Buckets) > 2 {
			t.Fatalf("page of %d buckets with max-buckets=2", len(d.Buckets))
		}
		got = append(got, bucketNames(d))
		if d.ContinuationToken == "" {
			break
		}
		target = "/?max-buckets=2&prefix=page-&continuation-token=" + d.ContinuationToken
	}
	if strings.Join(got, "|") != "page-0,page-1|page-2,page-3|page-4" {
		t.Errorf("pages %q", got)
	}

	// A last page that is exactly full carries no token.
	if d := e.listBuckets("/?max-buckets=6"); len(d.Buckets) != 6 || d.ContinuationToken != "" {
		t.Errorf("exact page: %d buckets, token %q", len(d.Buckets), d.ContinuationToken)
	}
	// An empty token starts at the beginning (S3's minimum length is 0).
	if d := e.listBuckets("/?continuation-token=&max-buckets=1"); bucketNames(d) != "other" {
		t.Errorf("empty token: %+v", d)
	}
	// bucket-region filters: every bucket is in the endpoint's region.
	if d := e.listBuckets("/?bucket-region=us-east-1"); len(d.Buckets) != 6 || d.Buckets[0].BucketRegion != "us-east-1" {
		t.Errorf("bucket-region us-east-1: %+v", d)
	}
	if d := e.listBuckets("/?bucket-region=eu-west-1"); len(d.Buckets) != 0 {
		t.Errorf("bucket-region eu-west-1: %+v", d)
	}

	for _, bad := range []string{"/?max-buckets=0", "/?max-buckets=10001", "/?max-buckets=x", "/?max-buckets=-1", "/?continuation-token=%25%25"} {
		e.fails(req{method: "GET", target: bad}, 400, "InvalidArgument")
	}
}
