package s3api

import (
	"net/http"
	"strings"
	"testing"
)

func TestBucketLifecycle(t *testing.T) {
	e := newEnv(t)
	e.fails(req{method: "HEAD", target: "/bkt/"}, 404, "NoSuchBucket")
	w := e.ok(req{method: "PUT", target: "/bkt/"}, 200)
	if w.Header().Get("Location") != "/bkt" {
		t.Errorf("Location %q", w.Header().Get("Location"))
	}
	e.fails(req{method: "PUT", target: "/bkt"}, 409, "BucketAlreadyOwnedByYou")
	e.ok(req{method: "HEAD", target: "/bkt/"}, 200)
	e.ok(req{method: "HEAD", target: "/bkt"}, 200)

	var lb struct {
		Owner   struct{ ID string }
		Buckets []struct{ Name, CreationDate string } `xml:"Buckets>Bucket"`
	}
	decodeXML(t, e.ok(req{method: "GET", target: "/"}, 200), &lb)
	if lb.Owner.ID != testAK || len(lb.Buckets) != 1 || lb.Buckets[0].Name != "bkt" || lb.Buckets[0].CreationDate != "2025-03-04T05:06:07.000Z" {
		t.Errorf("ListBuckets: %+v", lb)
	}

	e.put("bkt", "k", []byte("x"), nil)
	e.fails(req{method: "DELETE", target: "/bkt"}, 409, "BucketNotEmpty")
	e.ok(req{method: "DELETE", target: "/bkt/k"}, 204)
	e.ok(req{method: "DELETE", target: "/bkt"}, 204)
	e.fails(req{method: "DELETE", target: "/bkt"}, 404, "NoSuchBucket")
}

func TestCreateBucketConfiguration(t *testing.T) {
	e := newEnv(t)
	body := []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`)
	e.fails(req{method: "PUT", target: "/bk1", body: body}, 400, "InvalidLocationConstraint")
	// S3 refuses the default region by name, as the only one without a
	// constraint.
	body = []byte(`<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`)
	e.fails(req{method: "PUT", target: "/bk1", body: body}, 400, "InvalidLocationConstraint")
	body = []byte(`<CreateBucketConfiguration><LocationConstraint></LocationConstraint></CreateBucketConfiguration>`)
	e.ok(req{method: "PUT", target: "/bk1", body: body, header: map[string]string{"Content-MD5": b64md5(body)}}, 200)
	e.fails(req{method: "PUT", target: "/bk2", body: []byte("<nope")}, 400, "MalformedXML")
	e.fails(req{method: "PUT", target: "/bk3", body: body, header: map[string]string{"Content-MD5": b64md5([]byte("other"))}}, 400, "BadDigest")

	// S3's 3 to 63 characters: 1 and 2 are refused, 3 and 63 accepted.
	e.ok(req{method: "PUT", target: "/b23"}, 200)
	e.ok(req{method: "PUT", target: "/" + strings.Repeat("a", 63)}, 200)
	for _, bad := range []string{"b", "b2", "Upper", "a_b", "-ab", "ab-", "a..b", "192.168.1.1", "xn--abc", strings.Repeat("a", 64)} {
		e.fails(req{method: "PUT", target: "/" + bad}, 400, "InvalidBucketName")
	}
}

func TestBucketRegionDocuments(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	w := e.ok(req{method: "GET", target: "/bkt?location"}, 200)
	if !strings.Contains(w.Body.String(), "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></LocationConstraint>") {
		t.Errorf("us-east-1 location: %s", w.Body.String())
	}
	w = e.ok(req{method: "GET", target: "/bkt?versioning"}, 200)
	if !strings.Contains(w.Body.String(), "<VersioningConfiguration") || strings.Contains(w.Body.String(), "<Status>") {
		t.Errorf("versioning: %s", w.Body.String())
	}
	e.fails(req{method: "GET", target: "/nope?location"}, 404, "NoSuchBucket")

	e2 := newEnv(t, func(c *Config) { c.Region = "eu-central-1" })
	e2.mkBucket("bkt")
	w = e2.ok(req{method: "GET", target: "/bkt?location"}, 200)
	if !strings.Contains(w.Body.String(), ">eu-central-1</LocationConstraint>") {
		t.Errorf("eu-central-1 location: %s", w.Body.String())
	}
	if h := e2.ok(req{method: "HEAD", target: "/bkt"}, 200).Header().Get("x-amz-bucket-region"); h != "eu-central-1" {
		t.Errorf("x-amz-bucket-region %q", h)
	}
}

func TestACLAndTaggingProbes(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("x"), nil)
	for _, target := range []string{"/bkt?acl", "/bkt/k?acl"} {
		w := e.ok(req{method: "GET", target: target}, 200)
		if !strings.Contains(w.Body.String(), "<Permission>FULL_CONTROL</Permission>") {
			t.Errorf("%s: %s", target, w.Body.String())
		}
	}
	w := e.ok(req{method: "GET", target: "/bkt/k?tagging"}, 200)
	if !strings.Contains(w.Body.String(), "<TagSet></TagSet>") {
		t.Errorf("GET ?tagging: %s", w.Body.String())
	}
	e.fails(req{method: "GET", target: "/bkt/missing?acl"}, 404, "NoSuchKey")
	for _, q := range []req{
		{method: "PUT", target: "/bkt?encryption", body: []byte("<x/>")},
		{method: "GET", target: "/bkt?policy"},
		{method: "GET", target: "/bkt?lifecycle"},
		{method: "DELETE", target: "/bkt?website"},
		{method: "PUT", target: "/bkt?versioning", body: []byte("<x/>")},
		{method: "POST", target: "/bkt/k?restore"},
	} {
		w := e.fails(q, http.StatusNotImplemented, "NotImplemented")
		if !strings.Contains(w.Body.String(), "not implemented") {
			t.Errorf("%s %s: unclear message: %s", q.method, q.target, w.Body.String())
		}
	}
	// POST on a bucket is a browser-form upload (post_object.go): a body
	// that is no form fails S3's precondition.
	e.fails(req{method: "POST", target: "/bkt"}, http.StatusPreconditionFailed, "PreconditionFailed")
	// The SDKs' x-id parameter is no sub-resource.
	e.ok(req{method: "GET", target: "/bkt/k?x-id=GetObject"}, 200)
}
