package s3api

import (
	"encoding/base64"
	"errors"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestParsePostPolicyErrors: each way a policy document can be unreadable
// gets S3's InvalidPolicyDocument sentence for it.
func TestParsePostPolicyErrors(t *testing.T) {
	const exp = `"expiration":"2144-11-08T04:19:33Z"`
	for _, tc := range []struct{ policy, msg string }{
		{"", "Invalid Policy: Expecting '{' but found End-of-Input"},
		{"not base64!", "Invalid Policy: invalid Base64 encoding."},
		{b64("not json"), "Invalid Policy: Invalid JSON."},
		{b64(`{"conditions":[]}`), "Invalid Policy: Policy missing expiration."},
		{b64(`{"expiration":true,"conditions":[]}`), "Invalid Policy: Invalid JSON."},
		{b64(`{"expiration":"soon","conditions":[]}`), "Invalid Policy: Invalid 'expiration' value: 'soon'"},
		{b64(`{` + exp + `}`), "Invalid Policy: Policy missing conditions."},
		{b64(`{` + exp + `,"conditions":true}`), "Invalid Policy: Invalid 'conditions' value: must be a List."},
		{b64(`{` + exp + `,"conditions":[true]}`), "Invalid Policy: Invalid condition test: must be a List or Object."},
		{b64(`{` + exp + `,"conditions":[],"extra":1}`), `Invalid Policy: Unexpected: "extra"`},
		{b64(`{` + exp + `,"conditions":[[]]}`), "Invalid Policy: Invalid Condition: missing operation identifier."},
		{b64(`{` + exp + `,"conditions":[["like","$key","a"]]}`), "Invalid Policy: Invalid Condition: unknown operation 'like'."},
		{b64(`{` + exp + `,"conditions":[["eq","$key","a","b"]]}`), "Invalid Policy: Invalid eq: wrong number of arguments."},
		{b64(`{` + exp + `,"conditions":[["eq",false,"a"]]}`), "Invalid Policy: Invalid JSON."},
		{b64(`{` + exp + `,"conditions":[["content-length-range",1,"many"]]}`), "Invalid Policy: Invalid JSON."},
		{b64(`{` + exp + `,"conditions":[{"a":"1","b":"2"}]}`), "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."},
		{b64(`{` + exp + `,"conditions":[{"a":true}]}`), "Invalid Policy: Invalid Simple-Condition: value must be a string."},
	} {
		_, err := parsePostPolicy(tc.policy)
		var e *Error
		if !errors.As(err, &e) || e.Code != "InvalidPolicyDocument" || e.Message != tc.msg || e.Status != 400 {
			t.Errorf("policy %q: %v, want InvalidPolicyDocument %q", tc.policy, err, tc.msg)
		}
	}
}

// TestPostPolicyCheck: the conditions against a form. Every field but the
// signature, the policy, the file and x-ignore-* must be named by some
// condition; $bucket is the request's bucket; starts-with on Content-Type
// holds for every listed type.
func TestPostPolicyCheck(t *testing.T) {
	form := func(kv ...string) *postForm {
		f := &postForm{fields: map[string]string{}}
		for i := 0; i < len(kv); i += 2 {
			f.fields[kv[i]] = kv[i+1]
			f.order = append(f.order, kv[i])
		}
		return f
	}
	policy := func(conds string) *postPolicy {
		p, err := parsePostPolicy(b64(`{"expiration":"2144-11-08T04:19:33Z","conditions":[` + conds + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", conds, err)
		}
		return p
	}
	for _, tc := range []struct {
		conds string
		form  *postForm
		msg   string // "" = allowed
	}{
		{`{"key":"a"}`, form("key", "a", "policy", "p", "x-amz-signature", "s", "x-ignore-me", "1"), ""},
		{`["starts-with","$key","user/"],{"bucket":"b"}`, form("key", "user/x", "bucket", "ignored"), ""},
		{`["starts-with","$Content-Type","text/"],{"key":"a"}`, form("key", "a", "content-type", "text/plain, text/html"), ""},
		{`["starts-with","$x-amz-meta-tag",""],{"key":"a"}`, form("key", "a", "x-amz-meta-tag", "anything"), ""},
		{`{"key":"a"}`, form("key", "b"), `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "a"]`},
		{`["eq","$bucket","other"]`, form(), `Invalid according to Policy: Policy Condition failed: ["eq","$bucket","other"]`},
		{`["eq","key","a"]`, form("key", "a"), `Invalid according to Policy: Policy Condition failed: ["eq","key","a"]`},
		{`["starts-with","$Content-Type","text/"],{"key":"a"}`, form("key", "a", "content-type", "text/plain, image/png"), `Invalid according to Policy: Policy Condition failed: ["starts-with","$Content-Type","text/"]`},
		{`{"key":"a"}`, form("key", "a", "x-amz-meta-extra", "1"), "Invalid according to Policy: Extra input fields: x-amz-meta-extra"},
	} {
		_, _, err := policy(tc.conds).check(tc.form, "b")
		switch {
		case tc.msg == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.conds, err)
		case tc.msg != "":
			var e *Error
			if !errors.As(err, &e) || e.Code != "AccessDenied" || e.Message != tc.msg {
				t.Errorf("%s: %v, want AccessDenied %q", tc.conds, err, tc.msg)
			}
		}
	}
	lo, hi, err := policy(`["content-length-range", 10, "20"]`).check(form(), "b")
	if err != nil || lo != 10 || hi != 20 {
		t.Errorf("content-length-range: %d..%d, %v", lo, hi, err)
	}
	// Two ranges: the file must meet both, not only the last one written.
	lo, hi, err = policy(`["content-length-range", 5, 20],["content-length-range", 0, 1000000]`).check(form(), "b")
	if err != nil || lo != 5 || hi != 20 {
		t.Errorf("two content-length-ranges: %d..%d, %v, want 5..20", lo, hi, err)
	}
}

// FuzzParsePostPolicy: no policy document panics the parser.
func FuzzParsePostPolicy(f *testing.F) {
	f.Add(`{"expiration":"2144-11-08T04:19:33Z","conditions":[["content-length-range",1,2],{"a":"b"},["eq","$k","v"]]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		if p, err := parsePostPolicy(b64(doc)); err == nil {
			p.check(&postForm{fields: map[string]string{"k": "v"}, order: []string{"k"}}, "b")
		}
	})
}
