package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCopyObject(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.mkBucket("other")
	etag := e.put("bkt", "dir/src%20file", []byte("payload"), map[string]string{"Content-Type": "text/x-src", "x-amz-meta-m": "src"}).Header().Get("ETag")

	var res struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		ETag         string
		LastModified string
	}
	decodeXML(t, e.ok(req{method: "PUT", target: "/other/copy", header: map[string]string{"x-amz-copy-source": "/bkt/dir/src%20file"}}, 200), &res)
	if res.ETag != etag || res.LastModified != "2025-03-04T06:06:07.000Z" {
		t.Errorf("CopyObjectResult %+v", res)
	}
	o := e.svc.buckets["other"].objects["copy"]
	if o == nil || string(o.data) != "payload" || o.info.Meta.ContentType != "text/x-src" || o.info.Meta.User["m"] != "src" {
		t.Fatalf("COPY directive did not keep the metadata: %+v", o)
	}

	// REPLACE takes the request's metadata; versionId=null is accepted.
	e.ok(req{method: "PUT", target: "/other/copy2", header: map[string]string{
		"x-amz-copy-source":        "bkt/dir/src%20file?versionId=null",
		"x-amz-metadata-directive": "REPLACE",
		"Content-Type":             "text/new",
		"x-amz-meta-n":             "new",
	}}, 200)
	o = e.svc.buckets["other"].objects["copy2"]
	if o.info.Meta.ContentType != "text/new" || o.info.Meta.User["n"] != "new" || o.info.Meta.User["m"] != "" {
		t.Errorf("REPLACE metadata: %+v", o.info.Meta)
	}

	// Copy onto itself needs REPLACE.
	e.fails(req{method: "PUT", target: "/bkt/dir/src%20file", header: map[string]string{"x-amz-copy-source": "/bkt/dir/src%20file"}}, 400, "InvalidRequest")
	e.ok(req{method: "PUT", target: "/bkt/dir/src%20file", header: map[string]string{"x-amz-copy-source": "/bkt/dir/src%20file", "x-amz-metadata-directive": "REPLACE"}}, 200)

	e.fails(req{method: "PUT", target: "/other/x", header: map[string]string{"x-amz-copy-source": "/bkt/missing"}}, 404, "NoSuchKey")
	e.fails(req{method: "PUT", target: "/other/x", header: map[string]string{"x-amz-copy-source": "/bkt"}}, 400, "InvalidArgument")
	e.fails(req{method: "PUT", target: "/other/x", header: map[string]string{"x-amz-copy-source": "/bkt/dir/src%20file?versionId=v7"}}, 400, "InvalidArgument")
	e.fails(req{method: "PUT", target: "/other/x", header: map[string]string{"x-amz-copy-source": "/bkt/dir/src%20file", "x-amz-metadata-directive": "MERGE"}}, 400, "InvalidArgument")

	// Source conditions answer 412, never 304.
	lm := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, h := range []map[string]string{
		{"x-amz-copy-source-if-match": `"nope"`},
		{"x-amz-copy-source-if-none-match": etag},
		{"x-amz-copy-source-if-modified-since": lm.Add(time.Hour).Format(http.TimeFormat)},
		{"x-amz-copy-source-if-unmodified-since": lm.Add(-time.Hour).Format(http.TimeFormat)},
	} {
		h["x-amz-copy-source"] = "/other/copy"
		e.fails(req{method: "PUT", target: "/other/x", header: h}, 412, "PreconditionFailed")
	}
	e.ok(req{method: "PUT", target: "/other/x", header: map[string]string{"x-amz-copy-source": "/other/copy", "x-amz-copy-source-if-match": etag, "x-amz-copy-source-if-unmodified-since": lm.Add(-time.Hour).Format(http.TimeFormat)}}, 200)
}

func TestCopySourceSizeLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxObjectSize = 4 })
	e.mkBucket("bkt")
	e.put("bkt", "small", []byte("1234"), nil)
	e.ok(req{method: "PUT", target: "/bkt/copy", header: map[string]string{"x-amz-copy-source": "/bkt/small"}}, 200)
	e.svc.buckets["bkt"].objects["small"].info.Size = 5
	w := e.fails(req{method: "PUT", target: "/bkt/copy", header: map[string]string{"x-amz-copy-source": "/bkt/small"}}, 400, "InvalidRequest")
	if !strings.Contains(w.Body.String(), "copy source is larger") {
		t.Errorf("message: %s", w.Body.String())
	}
}

func TestDeleteObjects(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	for _, k := range []string{"a", "b", "locked1"} {
		e.put("bkt", k, []byte(k), nil)
	}
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Object><Key>a</Key></Object>
  <Object><Key>missing</Key></Object>
  <Object><Key>locked1</Key></Object>
  <Object><Key>b</Key><VersionId>v9</VersionId></Object>
</Delete>`)
	e.fails(req{method: "POST", target: "/bkt?delete", body: body}, 400, "InvalidRequest")
	e.fails(req{method: "POST", target: "/bkt?delete", body: body, header: map[string]string{"Content-MD5": b64md5([]byte("x"))}}, 400, "BadDigest")
	if len(e.svc.buckets["bkt"].objects) != 3 {
		t.Fatal("objects deleted despite a bad digest")
	}
	type result struct {
		XMLName xml.Name `xml:"DeleteResult"`
		Deleted []struct{ Key string }
		Error   []struct{ Key, Code, Message string }
	}
	var res result
	decodeXML(t, e.ok(req{method: "POST", target: "/bkt?delete", body: body, header: map[string]string{"Content-MD5": b64md5(body)}}, 200), &res)
	if len(res.Deleted) != 2 || res.Deleted[0].Key != "a" || res.Deleted[1].Key != "missing" {
		t.Errorf("Deleted %+v", res.Deleted)
	}
	if len(res.Error) != 2 || res.Error[0].Key != "locked1" || res.Error[0].Code != "AccessDenied" || res.Error[1].Key != "b" || res.Error[1].Code != "InvalidArgument" {
		t.Errorf("Errors %+v", res.Error)
	}

	// Quiet mode reports errors only; an x-amz-checksum replaces Content-MD5.
	quiet := []byte(`<Delete><Quiet>true</Quiet><Object><Key>b</Key></Object><Object><Key>locked1</Key></Object></Delete>`)
	res = result{}
	decodeXML(t, e.ok(req{method: "POST", target: "/bkt?delete", body: quiet, header: map[string]string{"x-amz-sdk-checksum-algorithm": "CRC32"}}, 200), &res)
	if len(res.Deleted) != 0 || len(res.Error) != 1 {
		t.Errorf("quiet result %+v", res)
	}
	if _, ok := e.svc.buckets["bkt"].objects["b"]; ok {
		t.Error("b not deleted")
	}

	for _, bad := range []string{`<Delete></Delete>`, `<Delete><Object></Object></Delete>`, `<Remove><Object><Key>a</Key></Object></Remove>`, `<Delete><Object><Key>a</Key></Object></Delete><Delete/>`, "not xml"} {
		b := []byte(bad)
		e.fails(req{method: "POST", target: "/bkt?delete", body: b, header: map[string]string{"Content-MD5": b64md5(b)}}, 400, "MalformedXML")
	}
	var many strings.Builder
	many.WriteString("<Delete>")
	for i := 0; i < 1001; i++ {
		many.WriteString("<Object><Key>k</Key></Object>")
	}
	many.WriteString("</Delete>")
	b := []byte(many.String())
	e.fails(req{method: "POST", target: "/bkt?delete", body: b, header: map[string]string{"Content-MD5": b64md5(b)}}, 400, "MalformedXML")
	e.fails(req{method: "POST", target: "/nope?delete", body: quiet, header: map[string]string{"Content-MD5": b64md5(quiet)}}, 404, "NoSuchBucket")
}
