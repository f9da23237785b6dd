package s3api

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeAuthz records every question and answers with allow.
type fakeAuthz struct {
	mu    sync.Mutex
	asked []AuthzRequest
	allow func(q *AuthzRequest) bool
}

func (a *fakeAuthz) Authorize(_ context.Context, q *AuthzRequest) AuthzDecision {
	a.mu.Lock()
	a.asked = append(a.asked, *q)
	a.mu.Unlock()
	ok := a.allow == nil || a.allow(q)
	return AuthzDecision{Allowed: ok, User: "user-" + q.AccessKey, Reason: "test says " + fmt.Sprint(ok)}
}

func (a *fakeAuthz) reset() { a.mu.Lock(); a.asked = nil; a.mu.Unlock() }

func withAuthz(a Authorizer) func(*Config) { return func(c *Config) { c.Authorizer = a } }

// TestAuthorizeAsks checks what each operation asks: action, resource and
// the condition keys that matter for it.
func TestAuthorizeAsks(t *testing.T) {
	a := &fakeAuthz{}
	e := newEnv(t, withAuthz(a))
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("x"), nil)
	for _, c := range []struct {
		q        req
		action   string
		bucket   string
		key      string
		condKeys map[string]string
	}{
		{req{method: "GET", target: "/"}, "s3:ListAllMyBuckets", "", "", nil},
		{req{method: "GET", target: "/bkt?list-type=2&prefix=a%2F&delimiter=%2F&max-keys=5"}, "s3:ListBucket", "bkt", "",
			map[string]string{"s3:prefix": "a/", "s3:delimiter": "/", "s3:max-keys": "5", "aws:sourceip": "192.0.2.1", "s3:authtype": "REST-HEADER", "aws:securetransport": "false"}},
		{req{method: "GET", target: "/bkt"}, "s3:ListBucket", "bkt", "", map[string]string{"s3:prefix": "", "s3:delimiter": ""}},
		{req{method: "HEAD", target: "/bkt/k"}, "s3:GetObject", "bkt", "k", nil},
		{req{method: "GET", target: "/bkt/k"}, "s3:GetObject", "bkt", "k", nil},
		{req{method: "PUT", target: "/bkt/k2", body: []byte("y")}, "s3:PutObject", "bkt", "k2", nil},
		{req{method: "DELETE", target: "/bkt/k2"}, "s3:DeleteObject", "bkt", "k2", nil},
		{req{method: "POST", target: "/bkt/m?uploads"}, "s3:PutObject", "bkt", "m", nil},
		{req{method: "GET", target: "/bkt?uploads"}, "s3:ListBucketMultipartUploads", "bkt", "", nil},
		{req{method: "PUT", target: "/bkt2"}, "s3:CreateBucket", "bkt2", "", nil},
	} {
		a.reset()
		e.do(c.q)
		if len(a.asked) == 0 {
			t.Errorf("%s %s: the authorizer was not asked", c.q.method, c.q.target)
			continue
		}
		got := a.asked[0]
		if got.Action != c.action || got.Bucket != c.bucket || got.Key != c.key || got.AccessKey != testAK {
			t.Errorf("%s %s: asked %s on %q/%q by %s, want %s on %q/%q", c.q.method, c.q.target, got.Action, got.Bucket, got.Key, got.AccessKey, c.action, c.bucket, c.key)
		}
		for k, v := range c.condKeys {
			if gv, ok := got.Conditions[k]; !ok || gv != v {
				t.Errorf("%s %s: condition %s = %q (present %v), want %q", c.q.method, c.q.target, k, gv, ok, v)
			}
		}
	}
}

// TestAuthorizeDenied checks that a denial answers AccessDenied as S3 XML,
// never reaches the Service, and is audited.
func TestAuthorizeDenied(t *testing.T) {
	a := &fakeAuthz{}
	e := newEnv(t, withAuthz(a))
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("data"), nil)
	a.allow = func(q *AuthzRequest) bool { return q.Action != "s3:DeleteObject" && q.Action != "s3:GetObject" }
	for _, q := range []req{
		{method: "DELETE", target: "/bkt/k"},
		{method: "GET", target: "/bkt/k"},
		{method: "HEAD", target: "/bkt/k"},
		{method: "PUT", target: "/bkt/copy", header: map[string]string{"x-amz-copy-source": "/bkt/k"}},
	} {
		e.logs.Reset()
		e.svc.calls = nil
		w := e.fails(q, 403, "AccessDenied")
		if len(e.svc.calls) != 0 {
			t.Errorf("%s %s: the service was called: %v", q.method, q.target, e.svc.calls)
		}
		log := e.logs.String()
		// request_id: the key every line of the request carries, and the
		// ID the client was given.
		id := "request_id=" + w.Header().Get("x-amz-request-id")
		for _, want := range []string{"msg=audit", "user=user-" + testAK, "decision=deny", "remote=192.0.2.1:1234", "resource=arn:aws:s3:::bkt/k", id} {
			if !strings.Contains(log, want) {
				t.Errorf("%s %s: the audit log lacks %q:\n%s", q.method, q.target, want, log)
			}
		}
	}
	if got := e.svc.objectData("bkt", "k"); string(got) != "data" {
		t.Errorf("object after denied requests: %q", got)
	}
}

// TestAuthorizeDeleteObjectsPerKey checks that a multi-delete asks about
// every key and deletes only the allowed ones.
func TestAuthorizeDeleteObjectsPerKey(t *testing.T) {
	a := &fakeAuthz{}
	e := newEnv(t, withAuthz(a))
	e.mkBucket("bkt")
	for _, k := range []string{"keep/1", "tmp/1", "tmp/2"} {
		e.put("bkt", k, []byte(k), nil)
	}
	a.allow = func(q *AuthzRequest) bool { return q.Action != "s3:DeleteObject" || strings.HasPrefix(q.Key, "tmp/") }
	body := []byte("<Delete><Object><Key>keep/1</Key></Object><Object><Key>tmp/1</Key></Object><Object><Key>tmp/2</Key></Object></Delete>")
	sum := md5.Sum(body)
	e.logs.Reset()
	w := e.ok(req{method: "POST", target: "/bkt?delete", body: body, header: map[string]string{"Content-MD5": base64.StdEncoding.EncodeToString(sum[:])}}, 200)
	var res deleteResult
	decodeXML(t, w, &res)
	if len(res.Errors) != 1 || res.Errors[0].Key != "keep/1" || res.Errors[0].Code != "AccessDenied" || len(res.Deleted) != 2 {
		t.Fatalf("result %+v", res)
	}
	if e.svc.objectData("bkt", "keep/1") == nil || e.svc.objectData("bkt", "tmp/1") != nil {
		t.Error("wrong objects deleted")
	}
	log := e.logs.String()
	if !strings.Contains(log, "resource=arn:aws:s3:::bkt/keep/1") || !strings.Contains(log, "decision=deny") ||
		strings.Count(log, "action=s3:DeleteObject resource=arn:aws:s3:::bkt/tmp/") != 2 {
		t.Errorf("audit log:\n%s", log)
	}
}

// TestAuthorizeCopySource checks that a copy needs s3:GetObject on its
// source, so that a write-only user cannot copy data out.
func TestAuthorizeCopySource(t *testing.T) {
	a := &fakeAuthz{}
	e := newEnv(t, withAuthz(a))
	e.mkBucket("src")
	e.mkBucket("dst")
	e.put("src", "k", []byte("secret"), nil)
	a.allow = func(q *AuthzRequest) bool { return q.Action != "s3:GetObject" }
	cp := map[string]string{"x-amz-copy-source": "/src/k"}
	a.reset()
	e.fails(req{method: "PUT", target: "/dst/k", header: cp}, 403, "AccessDenied")
	e.fails(req{method: "PUT", target: "/dst/k?partNumber=1&uploadId=u", header: cp}, 403, "AccessDenied")
	i := slices.IndexFunc(a.asked, func(q AuthzRequest) bool { return q.Action == "s3:GetObject" })
	if i < 0 || a.asked[i].Bucket != "src" || a.asked[i].Key != "k" || a.asked[i].Operation != OpCopyObject {
		t.Errorf("asked %+v", a.asked)
	}
	if e.svc.objectData("dst", "k") != nil {
		t.Error("the copy was made")
	}
	a.allow = nil
	e.ok(req{method: "PUT", target: "/dst/k", header: cp}, 200)
}

// TestAuditWrites checks that allowed writes and deletes are audited too.
func TestAuditWrites(t *testing.T) {
	e := newEnv(t, withAuthz(&fakeAuthz{}))
	e.mkBucket("bkt")
	e.logs.Reset()
	pw := e.put("bkt", "k", []byte("x"), nil)
	dw := e.ok(req{method: "DELETE", target: "/bkt/k"}, 204)
	e.ok(req{method: "GET", target: "/bkt"}, 200)
	log := e.logs.String()
	for _, want := range []string{
		"action=s3:PutObject resource=arn:aws:s3:::bkt/k remote=192.0.2.1:1234 decision=allow status=200 request_id=" + pw.Header().Get("x-amz-request-id"),
		"action=s3:DeleteObject resource=arn:aws:s3:::bkt/k remote=192.0.2.1:1234 decision=allow status=204 request_id=" + dw.Header().Get("x-amz-request-id"),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Count(log, "msg=audit") != 2 {
		t.Errorf("reads are audited too:\n%s", log)
	}
}

// objectData returns the stored bytes of bucket/key, nil if absent.
func (f *fakeService) objectData(bucket, key string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.object(bucket, key)
	if err != nil {
		return nil
	}
	return o.data
}

// TestWritesCoversEveryWrite: every operation whose action creates,
// changes or deletes is audited as a write.
func TestWritesCoversEveryWrite(t *testing.T) {
	for _, o := range Operations() {
		a := o.Action()
		w := false
		for _, p := range []string{"s3:Put", "s3:Delete", "s3:Create", "s3:Abort"} {
			w = w || strings.HasPrefix(a, p)
		}
		if w != o.Writes() {
			t.Errorf("%s (%s): Writes() = %v", o, a, o.Writes())
		}
	}
}

// TestAuthorizeFailsClosed: an operation without an IAM action (one added
// to the router but not to the table) is denied, never waved through.
func TestAuthorizeFailsClosed(t *testing.T) {
	h := &handler{authz: &fakeAuthz{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, c := range []struct {
		op   Operation
		deny bool
	}{{Operation(200), true}, {OpNone, false}, {OpNotImplemented, false}, {OpGetObject, false}} {
		rq := &request{h: h, op: c.op, r: httptest.NewRequest("GET", "/b/k", nil), q: url.Values{}, bucket: "b", key: "k"}
		if err := rq.authorize(); (err != nil) != c.deny {
			t.Errorf("operation %d: %v", c.op, err)
		}
	}
}
