package s3api

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func corsDoc(rules ...string) []byte {
	return []byte(`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + strings.Join(rules, "") + `</CORSConfiguration>`)
}

// TestParseCORS: S3's rules for a CORS configuration, with S3's codes
// and wording.
func TestParseCORS(t *testing.T) {
	rule := func(inner string) string { return "<CORSRule>" + inner + "</CORSRule>" }
	ok := rule("<AllowedOrigin>https://a.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")
	many := make([]string, 101)
	for i := range many {
		many[i] = ok
	}
	cases := []struct {
		doc       []byte
		code, msg string // "" code: valid
	}{
		{corsDoc(ok), "", ""},
		{corsDoc(many[:100]...), "", ""},
		{corsDoc(rule("<ID>x</ID><AllowedHeader>*</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader><AllowedMethod>PUT</AllowedMethod><AllowedOrigin>*</AllowedOrigin><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>-100</MaxAgeSeconds>")), "", ""},
		{corsDoc(), "MalformedXML", ""},
		{corsDoc(many...), "MalformedXML", ""},
		{[]byte("<CORSConfiguration><CORSRule>"), "MalformedXML", ""},
		{corsDoc(rule("<AllowedMethod>GET</AllowedMethod>")), "MalformedXML", ""},
		{corsDoc(rule("<AllowedOrigin>*</AllowedOrigin>")), "MalformedXML", ""},
		{corsDoc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds>")), "MalformedXML", ""},
		{corsDoc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>")), "InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is get"},
		{corsDoc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PATCH</AllowedMethod>")), "InvalidRequest", "Unsupported method is PATCH"},
		{corsDoc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>")), "InvalidRequest", "Unsupported method is OPTIONS"},
		{corsDoc(rule("<AllowedOrigin>https://*.example/*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")), "InvalidRequest", `AllowedOrigin "https://*.example/*" can not have more than one wildcard.`},
		{corsDoc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>")), "InvalidRequest", `AllowedHeader "x-*-*" can not have more than one wildcard.`},
		{corsDoc(rule("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>bad header</AllowedHeader>")), "InvalidRequest", `AllowedHeader "bad header" contains invalid character.`},
		{corsDoc(rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>X"Quote"</ExposeHeader>`)), "InvalidRequest", `"X"Quote"" contains invalid character.`},
		{corsDoc(rule("<ID>" + strings.Repeat("i", 256) + "</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")), "InvalidArgument", ""},
	}
	for i, c := range cases {
		cfg, err := ParseCORS(c.doc)
		if c.code == "" {
			if err != nil {
				t.Errorf("case %d: %v", i, err)
				continue
			}
			again, err := cfg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseCORS(again); err != nil {
				t.Errorf("case %d: the stored form does not parse again: %v", i, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
			t.Errorf("case %d: %v, want %s %q", i, err, c.code, c.msg)
		}
	}
}

func TestCORSMatch(t *testing.T) {
	cfg, err := ParseCORS(corsDoc(
		`<CORSRule><AllowedOrigin>http://example.com</AllowedOrigin><AllowedOrigin>https://example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>X-Amz-Date</AllowedHeader><AllowedHeader>X-Amz-Content-Sha256</AllowedHeader></CORSRule>`,
		`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>`,
		`<CORSRule><AllowedOrigin>http://origin*</AllowedOrigin><AllowedMethod>POST</AllowedMethod><AllowedHeader>Authorization</AllowedHeader></CORSRule>`,
		`<CORSRule><AllowedOrigin>http://*.something.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>X-Amz-*</AllowedHeader></CORSRule>`,
	))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		origin, method string
		headers        []string
		rule           int // -1: no match
		wildcard       bool
	}{
		{"http://example.com", "GET", []string{"x-amz-date"}, 0, false},
		{"https://example.com", "GET", []string{"x-amz-date", "x-amz-content-sha256"}, 0, false},
		{"http://example.com", "GET", []string{"x-amz-date", "extra"}, -1, false},
		{"http://example.com", "PUT", nil, -1, false},
		{"HTTP://EXAMPLE.COM", "GET", nil, -1, false},
		{"http://anything", "HEAD", nil, 1, true},
		{"http://anything", "HEAD", []string{"x-amz-date"}, -1, false},
		{"http://origin.com", "POST", []string{"authorization"}, 2, false},
		{"https://origin.com", "POST", nil, -1, false},
		{"http://a.something.com", "PUT", []string{"x-amz-date", "x-amz-meta-k"}, 3, false},
		{"http://a.something.com", "PUT", []string{"x-amz"}, -1, false},
		{"http://something.com", "PUT", nil, -1, false},
	}
	for _, c := range cases {
		m, ok := cfg.match(c.origin, c.method, c.headers)
		got := -1
		if ok {
			for i := range cfg.Rules {
				if &cfg.Rules[i] == m.rule {
					got = i
				}
			}
		}
		if got != c.rule || (ok && m.wildcard != c.wildcard) {
			t.Errorf("%s %s %v: rule %d (wildcard %v), want %d", c.origin, c.method, c.headers, got, m.wildcard, c.rule)
		}
	}
}

// TestBucketCORSCalls: Put/Get/DeleteBucketCors through the handler.
func TestBucketCORSCalls(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	doc := corsDoc(`<CORSRule><ID>web</ID><AllowedOrigin>https://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>`)
	e.fails(req{method: "GET", target: "/bkt?cors"}, 404, "NoSuchCORSConfiguration")
	e.ok(req{method: "PUT", target: "/bkt?cors", body: doc}, 200)
	w := e.ok(req{method: "GET", target: "/bkt?cors"}, 200)
	for _, want := range []string{`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`, "<ID>web</ID>", "<AllowedOrigin>https://app.example</AllowedOrigin>", "<MaxAgeSeconds>60</MaxAgeSeconds>"} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("GetBucketCors lacks %s: %s", want, w.Body)
		}
	}
	e.fails(req{method: "PUT", target: "/bkt?cors", body: corsDoc()}, 400, "MalformedXML")
	e.ok(req{method: "GET", target: "/bkt?cors"}, 200) // the refused PUT changed nothing
	e.ok(req{method: "DELETE", target: "/bkt?cors"}, 204)
	e.ok(req{method: "DELETE", target: "/bkt?cors"}, 204)
	e.fails(req{method: "GET", target: "/bkt?cors"}, 404, "NoSuchCORSConfiguration")
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		e.fails(req{method: m, target: "/nope?cors", body: doc}, 404, "NoSuchBucket")
	}
	e.fails(req{method: "PUT", target: "/bkt?cors", body: []byte(strings.Repeat(" ", maxCORSBody+1))}, 400, "MalformedXML")
}

// preflight sends an unsigned OPTIONS request.
func (e *testEnv) preflight(target, origin, method, headers string) *http.Response {
	e.t.Helper()
	h := map[string]string{}
	if origin != "" {
		h["Origin"] = origin
	}
	if method != "" {
		h["Access-Control-Request-Method"] = method
	}
	if headers != "" {
		h["Access-Control-Request-Headers"] = headers
	}
	w, _ := e.do(req{method: "OPTIONS", target: target, header: h, unsigned: true})
	return w.Result()
}

// TestPreflight: OPTIONS is answered without a signature, from the
// bucket's rules only, in S3's order of checks and S3's words; a bucket
// without rules and a missing bucket answer alike.
func TestPreflight(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.mkBucket("open")
	e.ok(req{method: "PUT", target: "/open?cors", body: corsDoc(
		`<CORSRule><AllowedOrigin>https://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule>`,
		`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule>`)}, 200)

	errCase := func(target, origin, method, headers string, status int, code, msg string) {
		t.Helper()
		res := e.preflight(target, origin, method, headers)
		raw, _ := io.ReadAll(res.Body)
		body := string(raw)
		if res.StatusCode != status || !strings.Contains(body, "<Code>"+code+"</Code>") || !strings.Contains(body, msg) {
			t.Errorf("OPTIONS %s %q %q %q: %d %s, want %d %s %q", target, origin, method, headers, res.StatusCode, body, status, code, msg)
		}
		if v := res.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("OPTIONS %s: refused with Access-Control-Allow-Origin %q", target, v)
		}
	}
	errCase("/open/k", "", "GET", "", 400, "BadRequest", "Insufficient information. Origin request header needed.")
	errCase("/open/k", "https://app.example", "get", "", 400, "BadRequest", "Invalid Access-Control-Request-Method: get")
	errCase("/open/k", "https://app.example", "", "", 400, "BadRequest", "Invalid Access-Control-Request-Method: ")
	errCase("/open/k", "https://app.example", "GET", "x-amz-date, bad/header", 400, "BadRequest", "Access-Control-Request-Headers &#34; bad/header&#34; contains invalid character.")
	errCase("/bkt/k", "https://app.example", "GET", "", 403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
	errCase("/missing/k", "https://app.example", "GET", "", 403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
	errCase("/open/k", "https://evil.example", "GET", "", 403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.")
	errCase("/open/k", "https://evil.example", "GET", "", 403, "AccessForbidden", "<Method>GET</Method><ResourceType>OBJECT</ResourceType>")
	errCase("/bkt", "https://app.example", "PUT", "", 403, "AccessForbidden", "<Method>PUT</Method><ResourceType>BUCKET</ResourceType>")
	errCase("/open/k", "https://app.example", "DELETE", "", 403, "AccessForbidden", "This CORS request is not allowed")
	errCase("/open/k", "https://app.example", "PUT", "authorization", 403, "AccessForbidden", "This CORS request is not allowed")

	res := e.preflight("/open/some/key", "https://app.example", "PUT", "Content-Type,X-Amz-Date")
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Allow-Headers":     "content-type, x-amz-date",
		"Access-Control-Expose-Headers":    "ETag",
		"Access-Control-Max-Age":           "600",
		"Vary":                             "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
	}
	if res.StatusCode != 200 {
		t.Fatalf("granted preflight: %d", res.StatusCode)
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("granted preflight %s: %q, want %q", k, got, v)
		}
	}
	// Virtual-host style names the bucket in Host, as browsers address it.
	res = e.preflight("http://open.s3.test/some/key", "https://app.example", "GET", "")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("virtual-host preflight: %d %v", res.StatusCode, res.Header)
	}
	res = e.preflight("/open", "https://anyone.example", "HEAD", "")
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Access-Control-Allow-Credentials") != "" || res.Header.Get("Access-Control-Max-Age") != "" {
		t.Errorf("wildcard preflight: %d %v", res.StatusCode, res.Header)
	}
}

// TestCORSOnRequests: an authenticated request carrying Origin gets the
// Access-Control-* headers of the rule allowing its origin and method,
// on success and on an S3 error alike; without such a rule, none. The
// rules never stand in for authentication.
func TestCORSOnRequests(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("open")
	e.put("open", "k", []byte("x"), nil)
	e.ok(req{method: "PUT", target: "/open?cors", body: corsDoc(
		`<CORSRule><AllowedOrigin>https://app.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>ETag</ExposeHeader></CORSRule>`)}, 200)
	origin := map[string]string{"Origin": "https://app.example"}
	w := e.ok(req{method: "GET", target: "/open/k", header: origin}, 200)
	if w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" || w.Header().Get("Access-Control-Expose-Headers") != "ETag" {
		t.Errorf("GET with a matching Origin: %v", w.Header())
	}
	w = e.fails(req{method: "GET", target: "/open/missing", header: origin}, 404, "NoSuchKey")
	if w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("an S3 error for an allowed origin lacks the CORS headers: %v", w.Header())
	}
	for _, q := range []req{
		{method: "GET", target: "/open/k", header: map[string]string{"Origin": "https://evil.example"}},
		{method: "PUT", target: "/open/k2", body: []byte("y"), header: origin},
		{method: "GET", target: "/open/k"},
	} {
		w, _ := e.do(q)
		if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s %s %v: %d, CORS headers %v", q.method, q.target, q.header, w.Code, w.Header())
		}
	}
	e.fails(req{method: "GET", target: "/open/k", header: origin, unsigned: true}, 403, "AccessDenied")
}
