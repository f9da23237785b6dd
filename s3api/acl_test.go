package s3api

import (
	"net/http"
	"strings"
	"testing"
)

func TestACLsDisabled(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("x"), nil)

	for _, target := range []string{"/bkt?acl", "/bkt/k?acl"} {
		var doc struct {
			Owner  struct{ ID string }
			Grants []struct {
				Grantee    struct{ ID string }
				Permission string
			} `xml:"AccessControlList>Grant"`
		}
		decodeXML(t, e.ok(req{method: "GET", target: target}, 200), &doc)
		if doc.Owner.ID != testAK || len(doc.Grants) != 1 || doc.Grants[0].Grantee.ID != testAK || doc.Grants[0].Permission != "FULL_CONTROL" {
			t.Errorf("GET %s: %+v", target, doc)
		}
	}

	ownerOnly := `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>` + testAK + `</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + testAK + `</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`
	publicRead := strings.Replace(ownerOnly, "</AccessControlList>", `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList>`, 1)
	for _, target := range []string{"/bkt?acl", "/bkt/k?acl"} {
		for _, acl := range []string{"private", "bucket-owner-full-control"} {
			e.ok(req{method: "PUT", target: target, header: map[string]string{"x-amz-acl": acl}}, 200)
		}
		e.ok(req{method: "PUT", target: target, header: map[string]string{"x-amz-grant-full-control": `id="` + testAK + `"`}}, 200)
		e.ok(req{method: "PUT", target: target, body: []byte(ownerOnly)}, 200)

		for _, acl := range []string{"public-read", "public-read-write", "authenticated-read", "bucket-owner-read"} {
			e.fails(req{method: "PUT", target: target, header: map[string]string{"x-amz-acl": acl}}, 400, "AccessControlListNotSupported")
		}
		e.fails(req{method: "PUT", target: target, header: map[string]string{"x-amz-grant-read": `uri="http://acs.amazonaws.com/groups/global/AllUsers"`}}, 400, "AccessControlListNotSupported")
		e.fails(req{method: "PUT", target: target, header: map[string]string{"x-amz-grant-full-control": `id="someone-else"`}}, 400, "AccessControlListNotSupported")
		e.fails(req{method: "PUT", target: target, body: []byte(publicRead)}, 400, "AccessControlListNotSupported")
		e.fails(req{method: "PUT", target: target, body: []byte("<AccessControlPolicy")}, 400, "MalformedACLError")
		e.fails(req{method: "PUT", target: target, header: map[string]string{"x-amz-acl": "everyone-please"}}, 400, "InvalidArgument")
		e.fails(req{method: "PUT", target: target}, 400, "MissingSecurityHeader")
	}
	e.fails(req{method: "PUT", target: "/nope?acl", header: map[string]string{"x-amz-acl": "private"}}, 404, "NoSuchBucket")
	e.fails(req{method: "PUT", target: "/bkt/nope?acl", header: map[string]string{"x-amz-acl": "private"}}, 404, "NoSuchKey")

	// ACL headers on writes: owner-only ACLs pass, others store nothing.
	for _, acl := range []string{"private", "bucket-owner-full-control"} {
		e.put("bkt", "w-"+acl, []byte("x"), map[string]string{"x-amz-acl": acl})
	}
	writes := []req{
		{method: "PUT", target: "/bkt/pub", body: []byte("x")},
		{method: "POST", target: "/bkt/pub?uploads"},
		{method: "PUT", target: "/bkt/pub", header: map[string]string{"x-amz-copy-source": "/bkt/k"}},
	}
	for _, q := range writes {
		q.header = mergeHeaders(q.header, map[string]string{"x-amz-acl": "public-read"})
		e.fails(q, 400, "AccessControlListNotSupported")
	}
	e.fails(req{method: "GET", target: "/bkt/pub"}, 404, "NoSuchKey")
	e.ok(req{method: "POST", target: "/bkt/mp?uploads", header: map[string]string{"x-amz-acl": "bucket-owner-full-control"}}, 200)
	e.ok(req{method: "PUT", target: "/bkt/cp", header: map[string]string{"x-amz-copy-source": "/bkt/k", "x-amz-acl": "private"}}, 200)

	// CreateBucket: BucketOwnerEnforced refuses ACLs that grant more.
	e.ok(req{method: "PUT", target: "/b-private", header: map[string]string{"x-amz-acl": "private"}}, 200)
	e.fails(req{method: "PUT", target: "/b-public", header: map[string]string{"x-amz-acl": "public-read"}}, 400, "InvalidBucketAclWithObjectOwnership")
	e.ok(req{method: "PUT", target: "/b-enforced", header: map[string]string{"x-amz-object-ownership": "BucketOwnerEnforced"}}, 200)
	e.fails(req{method: "PUT", target: "/b-writer", header: map[string]string{"x-amz-object-ownership": "ObjectWriter"}}, http.StatusNotImplemented, "NotImplemented")
	e.fails(req{method: "PUT", target: "/b-bogus", header: map[string]string{"x-amz-object-ownership": "Whatever"}}, 400, "InvalidArgument")
	e.fails(req{method: "HEAD", target: "/b-public"}, 404, "")
}

func mergeHeaders(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

func TestOwnershipControls(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	var doc struct {
		Rules []struct{ ObjectOwnership string } `xml:"Rule"`
	}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?ownershipControls"}, 200), &doc)
	if len(doc.Rules) != 1 || doc.Rules[0].ObjectOwnership != "BucketOwnerEnforced" {
		t.Errorf("GetBucketOwnershipControls: %+v", doc)
	}
	body := func(v string) []byte {
		return []byte(`<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>` + v + `</ObjectOwnership></Rule></OwnershipControls>`)
	}
	e.ok(req{method: "PUT", target: "/bkt?ownershipControls", body: body("BucketOwnerEnforced")}, 200)
	e.fails(req{method: "PUT", target: "/bkt?ownershipControls", body: body("ObjectWriter")}, http.StatusNotImplemented, "NotImplemented")
	e.fails(req{method: "PUT", target: "/bkt?ownershipControls", body: body("Nonsense")}, 400, "MalformedXML")
	e.fails(req{method: "PUT", target: "/bkt?ownershipControls", body: []byte("<Own")}, 400, "MalformedXML")
	e.fails(req{method: "DELETE", target: "/bkt?ownershipControls"}, http.StatusNotImplemented, "NotImplemented")
	e.fails(req{method: "GET", target: "/nope?ownershipControls"}, 404, "NoSuchBucket")
}

func TestExpectedBucketOwner(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("x"), nil)
	right := map[string]string{"x-amz-expected-bucket-owner": testAK}
	wrong := map[string]string{"x-amz-expected-bucket-owner": "111122223333"}
	for _, q := range []req{
		{method: "GET", target: "/bkt/k"},
		{method: "HEAD", target: "/bkt"},
		{method: "GET", target: "/bkt?list-type=2"},
		{method: "PUT", target: "/bkt/k2", body: []byte("y")},
		{method: "DELETE", target: "/bkt/k2"},
		{method: "GET", target: "/bkt/k?tagging"},
	} {
		q.header = wrong
		e.fails(q, http.StatusForbidden, "AccessDenied")
		q.header = right
		if w, _ := e.do(q); w.Code >= 300 {
			t.Errorf("%s %s with the right owner: %d %s", q.method, q.target, w.Code, w.Body.String())
		}
	}
	// Nothing was written under the wrong owner.
	e.fails(req{method: "PUT", target: "/bkt/k3", body: []byte("y"), header: wrong}, http.StatusForbidden, "AccessDenied")
	e.fails(req{method: "GET", target: "/bkt/k3"}, 404, "NoSuchKey")
	// The copy source's owner is checked too.
	e.fails(req{method: "PUT", target: "/bkt/c", header: map[string]string{"x-amz-copy-source": "/bkt/k", "x-amz-source-expected-bucket-owner": "111122223333"}}, http.StatusForbidden, "AccessDenied")
	e.ok(req{method: "PUT", target: "/bkt/c", header: map[string]string{"x-amz-copy-source": "/bkt/k", "x-amz-source-expected-bucket-owner": testAK}}, 200)
}
