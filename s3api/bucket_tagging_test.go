package s3api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestBucketTagging(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.fails(req{method: "GET", target: "/bkt?tagging"}, 404, "NoSuchTagSet")
	e.ok(req{method: "DELETE", target: "/bkt?tagging"}, 204)
	e.ok(req{method: "PUT", target: "/bkt?tagging", body: tagBody(Tag{"b", "2"}, Tag{"a", "1"})}, 204)
	w := e.ok(req{method: "GET", target: "/bkt?tagging"}, 200)
	if !strings.Contains(w.Body.String(), "<Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag>") {
		t.Errorf("GetBucketTagging, sorted by key: %s", w.Body)
	}
	e.ok(req{method: "DELETE", target: "/bkt?tagging"}, 204)
	e.fails(req{method: "GET", target: "/bkt?tagging"}, 404, "NoSuchTagSet")
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		e.fails(req{method: m, target: "/nope?tagging", body: tagBody(Tag{"a", "b"})}, 404, "NoSuchBucket")
	}
}

// TestBucketTaggingRules: S3's limits and wording; a refused set leaves
// the stored one as it was.
func TestBucketTaggingRules(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.ok(req{method: "PUT", target: "/bkt?tagging", body: tagBody(Tag{"keep", "me"})}, 204)
	fifty := make([]Tag, 50)
	for i := range fifty {
		fifty[i] = Tag{fmt.Sprint("k", i), "v"}
	}
	cases := []struct {
		tags         []Tag
		code, msgHas string
	}{
		{append(fifty, Tag{"k50", "v"}), "BadRequest", "Bucket tag count cannot be greater than 50"},
		{[]Tag{{strings.Repeat("k", 129), "v"}}, "InvalidTag", "The TagKey you have provided is invalid"},
		{[]Tag{{"k", strings.Repeat("v", 257)}}, "InvalidTag", "The TagValue you have provided is invalid"},
		{[]Tag{{"user!name", "v"}}, "InvalidTag", "The TagKey you have provided is invalid"},
		{[]Tag{{"k", "a,b"}}, "InvalidTag", "The TagValue you have provided is invalid"},
		{[]Tag{{"k", "1"}, {"k", "2"}}, "InvalidTag", "Cannot provide multiple Tags with the same key"},
		{[]Tag{{"aws:x", "1"}}, "InvalidTag", "aws:"},
		// S3 judges the tags before it counts them.
		{append(fifty, Tag{"k50", "v"}, Tag{"bad!", "v"}), "InvalidTag", "TagKey"},
	}
	for _, c := range cases {
		w := e.fails(req{method: "PUT", target: "/bkt?tagging", body: tagBody(c.tags...)}, http.StatusBadRequest, c.code)
		if !strings.Contains(w.Body.String(), c.msgHas) {
			t.Errorf("%d tags: %s, want the message to hold %q", len(c.tags), w.Body, c.msgHas)
		}
	}
	e.ok(req{method: "PUT", target: "/bkt?tagging", body: tagBody(fifty...)}, 204)
	e.fails(req{method: "PUT", target: "/bkt?tagging", body: []byte("<Tagging>")}, 400, "MalformedXML")
	w := e.ok(req{method: "GET", target: "/bkt?tagging"}, 200)
	if n := strings.Count(w.Body.String(), "<Tag>"); n != 50 {
		t.Errorf("after the refusals: %d tags, want the 50 stored", n)
	}
}
