package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDeleteConditionsCheck(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC)
	info := &ObjectInfo{ETag: "e", Size: 10, LastModified: mod}
	size := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		c    DeleteConditions
		info *ObjectInfo
		want string
	}{
		{DeleteConditions{}, info, ""},
		{DeleteConditions{}, nil, "NoSuchKey"},
		{DeleteConditions{IfMatch: "e"}, info, ""},
		{DeleteConditions{IfMatch: "*"}, info, ""},
		{DeleteConditions{IfMatch: "f"}, info, "PreconditionFailed"},
		{DeleteConditions{IfMatch: "e"}, nil, "NoSuchKey"},
		{DeleteConditions{IfLastModified: mod.Truncate(time.Second)}, info, ""},
		{DeleteConditions{IfLastModified: mod.Add(time.Second)}, info, "PreconditionFailed"},
		{DeleteConditions{IfSize: size(10)}, info, ""},
		{DeleteConditions{IfSize: size(11)}, info, "PreconditionFailed"},
		{DeleteConditions{IfSize: size(11)}, nil, "NoSuchKey"},
		{DeleteConditions{IfMatch: "e", IfSize: size(10), IfLastModified: mod}, info, ""},
		{DeleteConditions{IfMatch: "e", IfSize: size(9)}, info, "PreconditionFailed"},
	} {
		err := tc.c.Check(tc.info)
		got := ""
		if err != nil {
			got = AsError(err).Code
		}
		if got != tc.want {
			t.Errorf("%+v.Check(%v) = %v, want %q", tc.c, tc.info, err, tc.want)
		}
	}
}

// TestConditionalDelete: DeleteObject with If-Match and the
// x-amz-if-match-* headers, DeleteObjects with ETag/Size elements, and
// AbortMultipartUpload with x-amz-if-match-initiated-time.
func TestConditionalDelete(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("data"), nil)
	etag := quoteETag(e.svc.buckets["bkt"].objects["k"].info.ETag)
	mod := e.svc.buckets["bkt"].objects["k"].info.LastModified
	del := func(h map[string]string) req { return req{method: "DELETE", target: "/bkt/k", header: h} }
	e.fails(del(map[string]string{"If-Match": `"other"`}), 412, "PreconditionFailed")
	e.fails(del(map[string]string{"x-amz-if-match-size": "5"}), 412, "PreconditionFailed")
	e.fails(del(map[string]string{"x-amz-if-match-size": "-1"}), 400, "InvalidArgument")
	e.fails(del(map[string]string{"x-amz-if-match-last-modified-time": mod.Add(time.Hour).UTC().Format(http.TimeFormat)}), 412, "PreconditionFailed")
	e.fails(del(map[string]string{"x-amz-if-match-last-modified-time": "yesterday"}), 400, "InvalidArgument")
	e.fails(del(map[string]string{"If-None-Match": "*"}), 501, "NotImplemented")
	e.ok(del(map[string]string{"If-Match": etag, "x-amz-if-match-size": "4", "x-amz-if-match-last-modified-time": mod.UTC().Format(http.TimeFormat)}), 204)
	if _, ok := e.svc.buckets["bkt"].objects["k"]; ok {
		t.Fatal("the conditional delete left the object")
	}
	// A missing key: 404 with If-Match, 204 with the other conditions.
	e.fails(del(map[string]string{"If-Match": etag}), 404, "NoSuchKey")
	e.ok(del(map[string]string{"x-amz-if-match-size": "4"}), 204)

	e.put("bkt", "a", []byte("aa"), nil)
	e.put("bkt", "b", []byte("bb"), nil)
	body := []byte(`<Delete><Object><Key>a</Key><ETag>"nope"</ETag></Object><Object><Key>b</Key><Size>2</Size><ETag>` +
		e.svc.buckets["bkt"].objects["b"].info.ETag + `</ETag></Object><Object><Key>gone</Key><ETag>"x"</ETag></Object></Delete>`)
	var res struct {
		XMLName xml.Name `xml:"DeleteResult"`
		Deleted []struct{ Key string }
		Error   []struct{ Key, Code string }
	}
	decodeXML(t, e.ok(req{method: "POST", target: "/bkt?delete", body: body, header: map[string]string{"Content-MD5": b64md5(body)}}, 200), &res)
	if len(res.Deleted) != 1 || res.Deleted[0].Key != "b" || len(res.Error) != 2 ||
		res.Error[0].Key != "a" || res.Error[0].Code != "PreconditionFailed" || res.Error[1].Key != "gone" || res.Error[1].Code != "NoSuchKey" {
		t.Fatalf("DeleteObjects with conditions: %+v", res)
	}

	w := e.ok(req{method: "POST", target: "/bkt/up?uploads"}, 200)
	id := between(w.Body.String(), "<UploadId>", "</UploadId>")
	init := e.svc.uploads[id].initiated.UTC()
	abort := func(h map[string]string) req {
		return req{method: "DELETE", target: "/bkt/up?uploadId=" + id, header: h}
	}
	e.fails(abort(map[string]string{"x-amz-if-match-initiated-time": init.Add(-time.Hour).Format(http.TimeFormat)}), 412, "PreconditionFailed")
	e.fails(abort(map[string]string{"x-amz-if-match-initiated-time": "soon"}), 400, "InvalidArgument")
	e.ok(abort(map[string]string{"x-amz-if-match-initiated-time": init.Format(http.TimeFormat)}), 204)
	// Gone: 204 with the condition (as S3 documents), 404 without.
	e.ok(abort(map[string]string{"x-amz-if-match-initiated-time": init.Format(http.TimeFormat)}), 204)
	e.fails(abort(nil), 404, "NoSuchUpload")
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}
