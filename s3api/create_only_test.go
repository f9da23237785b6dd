package s3api

import (
	"bytes"
	"strings"
	"testing"
)

// createOnlyAuthz allows everything but s3:PutObject, which it allows only
// with s3:if-none-match = "*" (the ingest role's grant).
func createOnlyAuthz() *fakeAuthz {
	return &fakeAuthz{allow: func(q *AuthzRequest) bool {
		return q.Action != "s3:PutObject" || q.Conditions["s3:if-none-match"] == "*"
	}}
}

func TestCreateOnlyPut(t *testing.T) {
	a := &fakeAuthz{}
	e := newEnv(t, withAuthz(a))
	e.mkBucket("bkt")
	a.allow = createOnlyAuthz().allow
	orig := []byte("backup chunk 0")

	e.put("bkt", "k", orig, nil)
	e.logs.Reset()
	w := e.put("bkt", "k", orig, nil) // a retry after a lost answer
	if w.Header().Get("ETag") == "" {
		t.Error("the identical retry got no ETag")
	}
	if log := e.logs.String(); !strings.Contains(log, "create_only=true identical=true") {
		t.Errorf("the identical retry is not audited as such:\n%s", log)
	}
	e.logs.Reset()
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("ransomware")}, 403, "AccessDenied")
	e.fails(req{method: "PUT", target: "/bkt/k", body: []byte("backup chunk 1")}, 403, "AccessDenied") // same size, other bytes
	if got := e.svc.objectData("bkt", "k"); !bytes.Equal(got, orig) {
		t.Fatalf("object after refused overwrites: %q", got)
	}
	if log := e.logs.String(); !strings.Contains(log, `decision=deny reason="create-only: a different object exists"`) {
		t.Errorf("the refused overwrite is not audited:\n%s", log)
	}
	// The client's own conditions are the client's semantics, and If-Match
	// (a deliberate overwrite) is not what the policy grants.
	e.fails(req{method: "PUT", target: "/bkt/k", body: orig, header: map[string]string{"If-None-Match": "*"}}, 412, "PreconditionFailed")
	e.fails(req{method: "PUT", target: "/bkt/k", body: orig, header: map[string]string{"If-Match": "*"}}, 403, "AccessDenied")
	// A copy cannot be held to create-only.
	e.fails(req{method: "PUT", target: "/bkt/k2", header: map[string]string{"x-amz-copy-source": "/bkt/k"}}, 403, "AccessDenied")
	if e.svc.objectData("bkt", "k2") != nil {
		t.Error("the copy was made")
	}
	e.put("bkt", "new", []byte("fresh"), nil)
}

func TestCreateOnlyMultipart(t *testing.T) {
	a := &fakeAuthz{}
	e := newEnv(t, withAuthz(a))
	e.mkBucket("bkt")
	a.allow = createOnlyAuthz().allow
	upload := func(data []byte) (id, etag string) {
		id = e.createUpload("bkt", "big", nil)
		w := e.ok(req{method: "PUT", target: "/bkt/big?partNumber=1&uploadId=" + id, body: data}, 200)
		return id, w.Header().Get("ETag")
	}
	part := bytes.Repeat([]byte("p"), 1000)
	id, etag := upload(part)
	e.ok(req{method: "POST", target: "/bkt/big?uploadId=" + id, body: completeBody(etag)}, 200)

	// The same upload again, as a client that lost the answer re-sends it.
	id2, etag2 := upload(part)
	w := e.ok(req{method: "POST", target: "/bkt/big?uploadId=" + id2, body: completeBody(etag2)}, 200)
	if !strings.Contains(w.Body.String(), "-1") {
		t.Errorf("identical complete answered %s", w.Body.String())
	}
	if _, ok := e.svc.uploads[id2]; ok {
		t.Error("the identical upload was left behind")
	}
	id3, etag3 := upload(bytes.Repeat([]byte("x"), 1000))
	e.fails(req{method: "POST", target: "/bkt/big?uploadId=" + id3, body: completeBody(etag3)}, 403, "AccessDenied")
	if got := e.svc.objectData("bkt", "big"); !bytes.Equal(got, part) {
		t.Fatalf("object after a refused complete: %d bytes", len(got))
	}
}

func TestMultipartETag(t *testing.T) {
	got, ok := multipartETag([]CompletedPart{{ETag: "00000000000000000000000000000000"}, {ETag: "ffffffffffffffffffffffffffffffff"}})
	// md5(16 zero bytes ‖ 16 0xff bytes)
	if !ok || got != "86c036c1a10384a5673251100457087a-2" {
		t.Errorf("multipartETag = %q, %v", got, ok)
	}
	if _, ok := multipartETag([]CompletedPart{{ETag: "zz"}}); ok {
		t.Error("a malformed part ETag was accepted")
	}
}
