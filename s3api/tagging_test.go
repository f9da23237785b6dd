package s3api

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

type tagsDoc struct {
	Tags []Tag `xml:"TagSet>Tag"`
}

func (e *testEnv) tags(bucket, key string) []Tag {
	e.t.Helper()
	var d tagsDoc
	decodeXML(e.t, e.ok(req{method: "GET", target: "/" + bucket + "/" + key + "?tagging"}, 200), &d)
	return d.Tags
}

func tagBody(tags ...Tag) []byte {
	var b strings.Builder
	b.WriteString(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>`)
	for _, t := range tags {
		fmt.Fprintf(&b, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", t.Key, t.Value)
	}
	b.WriteString("</TagSet></Tagging>")
	return []byte(b.String())
}

func TestObjectTagging(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("data"), map[string]string{"x-amz-tagging": "kind=full&when=2026-12-07%2004%3A00&novalue"})
	want := []Tag{{"kind", "full"}, {"novalue", ""}, {"when", "2026-12-07 04:00"}} // sorted by key, as S3 lists them
	if got := e.tags("bkt", "k"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tags from x-amz-tagging: %v, want %v", got, want)
	}
	for _, m := range []string{"GET", "HEAD"} {
		if n := e.ok(req{method: m, target: "/bkt/k"}, 200).Header().Get("x-amz-tagging-count"); n != "3" {
			t.Errorf("%s x-amz-tagging-count %q", m, n)
		}
	}

	// PutObjectTagging replaces the set; DeleteObjectTagging empties it.
	e.ok(req{method: "PUT", target: "/bkt/k?tagging", body: tagBody(Tag{"kind", "incremental"})}, 200)
	if got := e.tags("bkt", "k"); len(got) != 1 || got[0] != (Tag{"kind", "incremental"}) {
		t.Errorf("after PutObjectTagging: %v", got)
	}
	e.ok(req{method: "DELETE", target: "/bkt/k?tagging"}, 204)
	if got := e.tags("bkt", "k"); len(got) != 0 {
		t.Errorf("after DeleteObjectTagging: %v", got)
	}
	if n := e.ok(req{method: "HEAD", target: "/bkt/k"}, 200).Header().Get("x-amz-tagging-count"); n != "" {
		t.Errorf("x-amz-tagging-count %q without tags", n)
	}
	e.fails(req{method: "GET", target: "/bkt/nope?tagging"}, 404, "NoSuchKey")
	e.fails(req{method: "PUT", target: "/bkt/nope?tagging", body: tagBody()}, 404, "NoSuchKey")
	e.fails(req{method: "DELETE", target: "/bkt/nope?tagging"}, 404, "NoSuchKey")
	e.fails(req{method: "GET", target: "/nope/k?tagging"}, 404, "NoSuchBucket")

	// Multipart uploads carry x-amz-tagging to the object.
	var init struct{ UploadId string }
	decodeXML(t, e.ok(req{method: "POST", target: "/bkt/mp?uploads", header: map[string]string{"x-amz-tagging": "a=1"}}, 200), &init)
	w := e.ok(req{method: "PUT", target: "/bkt/mp?partNumber=1&uploadId=" + init.UploadId, body: []byte("part")}, 200)
	complete := fmt.Sprintf(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>`, w.Header().Get("ETag"))
	e.ok(req{method: "POST", target: "/bkt/mp?uploadId=" + init.UploadId, body: []byte(complete)}, 200)
	if got := e.tags("bkt", "mp"); len(got) != 1 || got[0] != (Tag{"a", "1"}) {
		t.Errorf("multipart tags: %v", got)
	}
}

func TestCopyTaggingDirective(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "src", []byte("data"), map[string]string{"x-amz-tagging": "a=1"})
	copyTo := func(dst string, hdr map[string]string) {
		e.ok(req{method: "PUT", target: "/bkt/" + dst, header: mergeHeaders(hdr, map[string]string{"x-amz-copy-source": "/bkt/src"})}, 200)
	}
	copyTo("default", nil)
	copyTo("copy", map[string]string{"x-amz-tagging-directive": "COPY", "x-amz-tagging": "ignored=yes"})
	copyTo("replace", map[string]string{"x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "b=2"})
	copyTo("cleared", map[string]string{"x-amz-tagging-directive": "REPLACE"})
	for key, want := range map[string]string{"default": "[{a 1}]", "copy": "[{a 1}]", "replace": "[{b 2}]", "cleared": "[]"} {
		if got := fmt.Sprint(e.tags("bkt", key)); got != want {
			t.Errorf("%s: tags %s, want %s", key, got, want)
		}
	}
	e.fails(req{method: "PUT", target: "/bkt/x", header: map[string]string{"x-amz-copy-source": "/bkt/src", "x-amz-tagging-directive": "MERGE"}}, 400, "InvalidArgument")
	e.fails(req{method: "PUT", target: "/bkt/x", header: map[string]string{"x-amz-copy-source": "/bkt/src", "x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "aws:x=1"}}, 400, "InvalidTag")
}

func TestTagValidation(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("x"), nil)
	many := make([]Tag, 11)
	for i := range many {
		many[i] = Tag{fmt.Sprintf("k%d", i), "v"}
	}
	long := strings.Repeat("é", 128) // 128 characters, 256 bytes
	ok := [][]Tag{
		many[:10],
		{{long, strings.Repeat("ü", 256)}},
		{{"a b+c-d=e.f_g:h/i@j", "Ünïcødé 数字 ١٢٣"}},
		{},
	}
	for _, tags := range ok {
		e.ok(req{method: "PUT", target: "/bkt/k?tagging", body: tagBody(tags...)}, 200)
		if got := e.tags("bkt", "k"); fmt.Sprint(got) != fmt.Sprint(tags) && len(tags) > 0 {
			t.Errorf("round trip: %v, want %v", got, tags)
		}
	}
	bad := [][]Tag{
		many,
		{{long + "x", "v"}},
		{{"k", strings.Repeat("v", 257)}},
		{{"", "v"}},
		{{"k", "v"}, {"k", "w"}},
		{{"aws:k", "v"}},
		{{"k*", "v"}},
		{{"k", "v#"}},
		{{"k", "semi;colon"}},
	}
	for i, tags := range bad {
		// S3 answers more than 10 tags with BadRequest, and an empty key
		// or a duplicate in the header (not URL query form) with
		// InvalidArgument.
		body, header := "InvalidTag", "InvalidTag"
		switch i {
		case 0:
			body, header = "BadRequest", "BadRequest"
		case 3, 4:
			header = "InvalidArgument"
		}
		e.fails(req{method: "PUT", target: "/bkt/k?tagging", body: tagBody(tags...)}, 400, body)
		e.fails(req{method: "PUT", target: "/bkt/t", body: []byte("x"), header: map[string]string{"x-amz-tagging": encodeTags(tags)}}, 400, header)
	}
	for _, h := range []string{"=", "=v", "k=v=w", "TagSet=[{Key=a,Value=b}]"} {
		e.fails(req{method: "PUT", target: "/bkt/t", body: []byte("x"), header: map[string]string{"x-amz-tagging": h}}, 400, "InvalidArgument")
	}
	e.fails(req{method: "GET", target: "/bkt/t"}, 404, "NoSuchKey")
	for _, b := range []string{"<Tagging", "<Tagging></Tagging>", "<Other><TagSet/></Other>"} {
		e.fails(req{method: "PUT", target: "/bkt/k?tagging", body: []byte(b)}, 400, "MalformedXML")
	}
	for _, h := range []string{"a=1&a=2", "a=%zz"} {
		e.fails(req{method: "PUT", target: "/bkt/t", body: []byte("x"), header: map[string]string{"x-amz-tagging": h}}, 400, "InvalidArgument")
	}
}

// encodeTags is x-amz-tagging as the SDKs send it; duplicates stay.
func encodeTags(tags []Tag) string {
	var p []string
	for _, t := range tags {
		p = append(p, url.QueryEscape(t.Key)+"="+url.QueryEscape(t.Value))
	}
	return strings.Join(p, "&")
}

// TestTaggingNeedsItsAction: tags sent with a write need
// s3:PutObjectTagging as well, as in AWS; untagged writes do not ask.
func TestTaggingNeedsItsAction(t *testing.T) {
	a := &fakeAuthz{allow: func(q *AuthzRequest) bool { return q.Action != "s3:PutObjectTagging" }}
	e := newEnv(t, withAuthz(a))
	e.mkBucket("bkt")
	e.put("bkt", "plain", []byte("x"), nil)
	tagged := map[string]string{"x-amz-tagging": "a=1"}
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("x"), header: tagged}, 403, "AccessDenied")
	e.fails(req{method: "POST", target: "/bkt/k?uploads", header: tagged}, 403, "AccessDenied")
	e.fails(req{method: "PUT", target: "/bkt/k", header: mergeHeaders(tagged, map[string]string{"x-amz-copy-source": "/bkt/plain", "x-amz-tagging-directive": "REPLACE"})}, 403, "AccessDenied")
	e.fails(req{method: "PUT", target: "/bkt/plain?tagging", body: tagBody(Tag{"a", "1"})}, 403, "AccessDenied")
	e.fails(req{method: "GET", target: "/bkt/k"}, 404, "NoSuchKey")
	if got := e.tags("bkt", "plain"); len(got) != 0 {
		t.Errorf("tags set despite the denial: %v", got)
	}
	// Without tags nothing more is asked; an empty REPLACE clears freely.
	e.put("bkt", "k", []byte("x"), nil)
	e.ok(req{method: "PUT", target: "/bkt/c", header: map[string]string{"x-amz-copy-source": "/bkt/plain", "x-amz-tagging-directive": "REPLACE"}}, 200)
}

// TestCreateOnlyTagging: a write that may only create asks for
// s3:PutObjectTagging with s3:if-none-match = "*", so a policy can allow
// tags on new objects and refuse PutObjectTagging on stored ones.
func TestCreateOnlyTagging(t *testing.T) {
	a := &fakeAuthz{allow: func(q *AuthzRequest) bool {
		switch q.Action {
		case "s3:PutObject", "s3:PutObjectTagging":
			return q.Conditions["s3:if-none-match"] == "*"
		}
		return true
	}}
	e := newEnv(t, withAuthz(a))
	e.mkBucket("bkt")
	tagged := map[string]string{"x-amz-tagging": "kind=full"}
	// Granted create-only: the write proceeds with its tags.
	e.put("bkt", "new", []byte("x"), tagged)
	if got := e.tags("bkt", "new"); len(got) != 1 || got[0] != (Tag{"kind", "full"}) {
		t.Errorf("tags of a create-only write: %v", got)
	}
	e.put("bkt", "new2", []byte("x"), mergeHeaders(tagged, map[string]string{"If-None-Match": "*"}))
	// PutObjectTagging on a stored object carries no such condition, even
	// when the client adds the header.
	e.fails(req{method: "PUT", target: "/bkt/new?tagging", body: tagBody(Tag{"kind", "expire-me"})}, 403, "AccessDenied")
	e.fails(req{method: "PUT", target: "/bkt/new?tagging", body: tagBody(Tag{"kind", "expire-me"}), header: map[string]string{"If-None-Match": "*"}}, 403, "AccessDenied")
	if got := e.tags("bkt", "new"); len(got) != 1 || got[0] != (Tag{"kind", "full"}) {
		t.Errorf("tags after refused PutObjectTagging: %v", got)
	}
}
