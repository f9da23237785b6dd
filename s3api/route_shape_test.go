package s3api

import (
	"strings"
	"testing"
)

// Requests no operation takes get S3's answer whether signed or not, and
// before anything is looked up (the bucket here does not exist).
func TestShapeErrors(t *testing.T) {
	e := newEnv(t)
	cp := map[string]string{"x-amz-copy-source": "src/k"}
	for _, c := range []struct {
		q      req
		status int
		code   string
		msg    string
	}{
		{req{method: "POST", target: "/"}, 405, "MethodNotAllowed", "The specified method is not allowed against this resource."},
		{req{method: "POST", target: "/nobkt/k"}, 405, "MethodNotAllowed", ""},
		{req{method: "PUT", target: "/nobkt/k?uploadId=u"}, 405, "MethodNotAllowed", ""},
		{req{method: "PUT", target: "/nobkt/k?partNumber=1"}, 400, "InvalidArgument", "This operation does not accept partNumber without uploadId"},
		{req{method: "GET", target: "/nobkt/k?uploads"}, 400, "InvalidRequest", "Key is not expected for the GET method ?uploads subresource"},
		{req{method: "GET", target: "/nobkt/k?versions"}, 400, "InvalidRequest", "There is no such thing as the ?versions sub-resource for a key"},
		{req{method: "GET", target: "/nobkt/k", header: cp}, 400, "InvalidArgument", "You can only specify a copy source header for copy requests."},
		{req{method: "DELETE", target: "/nobkt", header: cp}, 400, "InvalidArgument", ""},
		{req{method: "POST", target: "/nobkt?uploadId=u", header: cp}, 400, "InvalidArgument", ""},
	} {
		for _, unsigned := range []bool{false, true} {
			c.q.unsigned = unsigned
			w, _ := e.do(c.q)
			body := w.Body.String()
			if w.Code != c.status || !strings.Contains(body, "<Code>"+c.code+"</Code>") || !strings.Contains(body, "<Message>"+xmlText(c.msg)) {
				t.Errorf("%s %s (unsigned %v): %d %s", c.q.method, c.q.target, unsigned, w.Code, body)
			}
		}
	}
	// The same shapes with what makes them valid still route.
	e.mkBucket("bkt")
	e.ok(req{method: "GET", target: "/bkt?uploads"}, 200)
	e.ok(req{method: "GET", target: "/bkt?versions"}, 200)
}

func xmlText(s string) string { return strings.ReplaceAll(s, "'", "&#39;") }

// MethodNotAllowed names the method and the kind of resource.
func TestMethodNotAllowedFields(t *testing.T) {
	e := newEnv(t)
	for target, kind := range map[string]string{"/": "SERVICE", "/nobkt/k": "OBJECT"} {
		w, _ := e.do(req{method: "POST", target: target})
		if b := w.Body.String(); !strings.Contains(b, "<Method>POST</Method><ResourceType>"+kind+"</ResourceType>") {
			t.Errorf("POST %s: %s", target, b)
		}
	}
	w, _ := e.do(req{method: "PUT", target: "/nobkt/k?uploadId=u"})
	if b := w.Body.String(); !strings.Contains(b, "<Method>PUT</Method><ResourceType>UPLOAD</ResourceType>") {
		t.Errorf("PUT ?uploadId: %s", b)
	}
}
