package policy

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t testing.TB, text string) *Policy {
	t.Helper()
	p, err := Parse("test.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func obj(action, bucket, key string, ctx ...string) *Request {
	r := &Request{Action: action, Resource: ObjectARN(bucket, key), Context: map[string]string{}}
	if key == "" {
		r.Resource = BucketARN(bucket)
	}
	for i := 0; i+1 < len(ctx); i += 2 {
		r.Context[ctx[i]] = ctx[i+1]
	}
	return r
}

func TestEvaluate(t *testing.T) {
	const home = `{"Version":"2012-10-17","Statement":[
	  {"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::team-*",
	   "Condition":{"StringLike":{"s3:prefix":["home/*",""]}}},
	  {"Sid":"RW","Effect":"Allow","Action":["s3:GetObject","s3:Put*"],"Resource":"arn:aws:s3:::team-*/home/*"},
	  {"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::team-*/home/secret*"},
	  {"Sid":"Office","Effect":"Deny","NotAction":"s3:List*","Resource":"*",
	   "Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.7"]}}},
	  {"Sid":"Small","Effect":"Allow","Action":"s3:ListBucketVersions","Resource":"arn:aws:s3:::team-a",
	   "Condition":{"NumericLessThanEquals":{"s3:max-keys":"100"}}}
	]}`
	p := mustParse(t, home)
	in := "aws:sourceip"
	for _, c := range []struct {
		name string
		r    *Request
		want Effect
		sid  string
	}{
		{"allow get", obj("s3:GetObject", "team-a", "home/x", in, "10.1.2.3"), Allow, "RW"},
		{"action case", obj("S3:getobject", "team-a", "home/x", in, "10.1.2.3"), Allow, "RW"},
		{"action wildcard", obj("s3:PutObject", "team-b", "home/y/z", in, "10.1.2.3"), Allow, "RW"},
		{"not granted action", obj("s3:DeleteObject", "team-a", "home/x", in, "10.1.2.3"), NotApplicable, ""},
		{"other bucket", obj("s3:GetObject", "other", "home/x", in, "10.1.2.3"), NotApplicable, ""},
		{"resource case-sensitive", obj("s3:GetObject", "Team-a", "home/x", in, "10.1.2.3"), NotApplicable, ""},
		{"outside prefix", obj("s3:GetObject", "team-a", "work/x", in, "10.1.2.3"), NotApplicable, ""},
		{"explicit deny beats allow", obj("s3:GetObject", "team-a", "home/secret.txt", in, "10.1.2.3"), Deny, "NoSecrets"},
		{"deny by source ip", obj("s3:GetObject", "team-a", "home/x", in, "203.0.113.9"), Deny, "Office"},
		{"single address", obj("s3:GetObject", "team-a", "home/x", in, "192.0.2.7"), Allow, "RW"},
		{"mapped v4 address", obj("s3:GetObject", "team-a", "home/x", in, "::ffff:10.0.0.1"), Allow, "RW"},
		{"negated op, key absent", obj("s3:GetObject", "team-a", "home/x"), Deny, "Office"},
		{"list with prefix", obj("s3:ListBucket", "team-a", "", "s3:prefix", "home/docs/"), Allow, "List"},
		{"list with empty prefix", obj("s3:ListBucket", "team-a", "", "s3:prefix", ""), Allow, "List"},
		{"list other prefix", obj("s3:ListBucket", "team-a", "", "s3:prefix", "work/"), NotApplicable, ""},
		{"list without prefix key", obj("s3:ListBucket", "team-a", ""), NotApplicable, ""},
		{"numeric ok", obj("s3:ListBucketVersions", "team-a", "", "s3:max-keys", "100", in, "10.0.0.1"), Allow, "Small"},
		{"numeric too big", obj("s3:ListBucketVersions", "team-a", "", "s3:max-keys", "1000", in, "10.0.0.1"), NotApplicable, ""},
		{"numeric not a number", obj("s3:ListBucketVersions", "team-a", "", "s3:max-keys", "x", in, "10.0.0.1"), NotApplicable, ""},
	} {
		d := p.Evaluate(c.r)
		if d.Effect != c.want || d.Sid != c.sid {
			t.Errorf("%s: got %s by %q, want %s by %q", c.name, d.Effect, d.Sid, c.want, c.sid)
		}
	}
}

func TestEvaluateSeveralPolicies(t *testing.T) {
	allowAll := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	denyDel := mustParse(t, `{"Statement":{"Effect":"Deny","Action":"s3:Delete*","Resource":"arn:aws:s3:::b/*"}}`)
	ps := []*Policy{allowAll, denyDel}
	if d := Evaluate(ps, obj("s3:DeleteObject", "b", "k")); d.Effect != Deny {
		t.Errorf("delete: %s, want Deny", d.Effect)
	}
	if d := Evaluate(ps, obj("s3:GetObject", "b", "k")); d.Effect != Allow {
		t.Errorf("get: %s, want Allow", d.Effect)
	}
	if d := Evaluate(nil, obj("s3:GetObject", "b", "k")); d.Allowed() {
		t.Error("no policies allowed a request")
	}
}

func TestConditionOperators(t *testing.T) {
	for _, c := range []struct {
		cond string
		ctx  []string
		want bool
	}{
		{`{"StringEquals":{"s3:prefix":"a/"}}`, []string{"s3:prefix", "a/"}, true},
		{`{"StringEquals":{"s3:prefix":"a/"}}`, []string{"s3:prefix", "A/"}, false},
		{`{"StringEqualsIgnoreCase":{"s3:prefix":"a/"}}`, []string{"s3:prefix", "A/"}, true},
		{`{"StringNotEquals":{"s3:delimiter":"/"}}`, []string{"s3:delimiter", "/"}, false},
		{`{"StringNotEquals":{"s3:delimiter":"/"}}`, nil, true},
		{`{"StringNotLike":{"s3:prefix":"tmp*"}}`, []string{"s3:prefix", "tmp/1"}, false},
		{`{"StringLike":{"s3:prefix":"a?c"}}`, []string{"s3:prefix", "abc"}, true},
		{`{"StringLikeIfExists":{"s3:prefix":"a*"}}`, nil, true},
		{`{"StringLike":{"s3:prefix":"a*"}}`, nil, false},
		{`{"Null":{"s3:if-none-match":"true"}}`, nil, true},
		{`{"Null":{"s3:if-none-match":"false"}}`, nil, false},
		{`{"Null":{"s3:if-none-match":false}}`, []string{"s3:if-none-match", "*"}, true},
		{`{"Bool":{"aws:SecureTransport":"true"}}`, []string{"aws:securetransport", "true"}, true},
		{`{"Bool":{"aws:SecureTransport":true}}`, []string{"aws:securetransport", "false"}, false},
		{`{"NumericGreaterThan":{"s3:max-keys":10}}`, []string{"s3:max-keys", "11"}, true},
		{`{"NumericNotEquals":{"s3:max-keys":10}}`, []string{"s3:max-keys", "10"}, false},
		{`{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, []string{"aws:sourceip", "2001:db8::1"}, true},
		{`{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, []string{"aws:sourceip", "garbage"}, false},
		// Several keys under one operator: all must hold.
		{`{"StringEquals":{"s3:prefix":"a","s3:delimiter":"/"}}`, []string{"s3:prefix", "a"}, false},
		{`{"StringEquals":{"s3:prefix":"a","s3:delimiter":"/"}}`, []string{"s3:prefix", "a", "s3:delimiter", "/"}, true},
	} {
		p := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":`+c.cond+`}}`)
		got := p.Evaluate(obj("s3:ListBucket", "b", "", c.ctx...)).Allowed()
		if got != c.want {
			t.Errorf("%s with %v: %v, want %v", c.cond, c.ctx, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		text      string
		line, col int
		msg       string
	}{
		{"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Permit\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n  ]\n}", 4, 16, `Effect must be "Allow" or "Deny"`},
		{"{\"Statement\": {\"Effect\": \"Allow\",\n \"Action\": \"iam:CreateUser\", \"Resource\": \"*\"}}", 2, 12, `action "iam:CreateUser"`},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\",\n\"Resource\": \"arn:aws:iam::1:user/x\"}}", 2, 13, "resource"},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\",\n \"Principal\": \"*\"}}", 2, 2, "Principal has no meaning"},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\"}}", 1, 15, "no Resource"},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\",\n  \"Condition\": {\"StringLikes\": {\"s3:prefix\": \"a\"}}}}", 2, 17, `unknown condition operator "StringLikes"`},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\",\n  \"Condition\": {\"NumericLessThan\": {\"s3:max-keys\": \"ten\"}}}}", 2, 52, "needs a number"},
		{"{\"Statement\": [\n{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n]}", 3, 1, "invalid JSON"},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Effect\": \"Deny\"}}", 1, 35, `"Effect" appears twice`},
		{"{\"Version\": \"2012-10-17\"}", 1, 1, "no Statement"},
		{"{\"Version\": \"2012-10-18\", \"Statement\": []}", 1, 13, "Version must be"},
		{"{\"Statement\": []}", 1, 15, "Statement is empty"},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": [], \"Resource\": \"*\"}}", 1, 45, "empty list"},
		{"[1]", 1, 1, "a policy is a JSON object"},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}} x", 1, 71, "after the JSON document"},
		{"{\"Statement\": ", 1, 15, "ends early"},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::${aws:username}/*\"}}", 1, 65, "policy variables"},
		{"{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\", \"Condition\": {\"ForAnyValue:StringLike\": {\"s3:prefix\": \"a\"}}}}", 1, 84, "set qualifiers"},
	} {
		_, err := Parse("p.json", []byte(c.text))
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v, want a *policy.Error", c.text, err)
			continue
		}
		if pe.File != "p.json" || pe.Line != c.line || pe.Col != c.col || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%q:\n got %v\nwant p.json:%d:%d: ...%s...", c.text, err, c.line, c.col, c.msg)
		}
	}
}

func TestParseEmbedded(t *testing.T) {
	whole := []byte("{\"users\": [\n {\"policy\": {\"Statement\":\n   {\"Effect\": \"Maybe\"}}}]}")
	start := strings.Index(string(whole), `{"Statement"`)
	end := strings.Index(string(whole), "}}}") + 2
	_, err := ParseEmbedded("users.json", whole, start, end)
	if err == nil || !strings.HasPrefix(err.Error(), "users.json:3:15: Effect") {
		t.Fatalf("error %v, want users.json:3:15: Effect ...", err)
	}
}

func TestWildcard(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"", "", true}, {"", "a", false}, {"a*", "a", true},
		{"a*b", "axxb", true}, {"a*b", "axxbc", false}, {"a*b*c", "abbbcbc", true},
		{"?", "", false}, {"?b", "ab", true}, {"a**", "abc", true}, {"*a", "bbba", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false}, {"arn:aws:s3:::b*", "arn:aws:s3:::bx/k", true},
	} {
		if got := wildcard(c.p, c.s); got != c.want {
			t.Errorf("wildcard(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestCanned(t *testing.T) {
	type q struct {
		action, bucket, key string
		ctx                 []string
	}
	allowed := func(p *Policy, x q) bool { return p.Evaluate(obj(x.action, x.bucket, x.key, x.ctx...)).Allowed() }
	ingest, _, err := Canned("ingest", []string{"backups-*"})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []q{
		{"s3:CreateBucket", "backups-db1", "", nil},
		{"s3:ListBucket", "backups-db1", "", nil},
		{"s3:PutObject", "backups-db1", "full/1", []string{"s3:if-none-match", "*"}},
		{"s3:AbortMultipartUpload", "backups-db1", "full/1", nil},
		{"s3:PutObjectTagging", "backups-db1", "full/1", []string{"s3:if-none-match", "*"}},
	} {
		if !allowed(ingest, x) {
			t.Errorf("ingest refused %v", x)
		}
	}
	for _, x := range []q{
		{"s3:PutObject", "backups-db1", "full/1", nil}, // an overwrite-capable PUT
		{"s3:PutObject", "backups-db1", "full/1", []string{"s3:if-match", `"abc"`}},
		{"s3:GetObject", "backups-db1", "full/1", nil},
		{"s3:DeleteObject", "backups-db1", "full/1", nil},
		{"s3:DeleteBucket", "backups-db1", "", nil},
		{"s3:CreateBucket", "other", "", nil},
		{"s3:PutObject", "other", "k", []string{"s3:if-none-match", "*"}},
		{"envelopegw:GetObjectKeyIds", "backups-db1", "k", nil},
		{"s3:PutObjectTagging", "backups-db1", "full/1", nil}, // retagging a stored backup
		{"s3:DeleteObjectTagging", "backups-db1", "full/1", nil},
	} {
		if allowed(ingest, x) {
			t.Errorf("ingest allowed %v", x)
		}
	}
	restore, _, _ := Canned("restore", nil)
	if !allowed(restore, q{"s3:GetObject", "any", "k", nil}) || allowed(restore, q{"s3:PutObject", "any", "k", []string{"s3:if-none-match", "*"}}) ||
		allowed(restore, q{"s3:DeleteObject", "any", "k", nil}) || allowed(restore, q{"s3:AbortMultipartUpload", "any", "k", nil}) {
		t.Error("restore: wrong grants")
	}
	rw, _, _ := Canned("readwrite", []string{"team-a"})
	if !allowed(rw, q{"s3:DeleteObject", "team-a", "k", nil}) || allowed(rw, q{"s3:GetObject", "team-b", "k", nil}) ||
		allowed(rw, q{"envelopegw:GetObjectKeyIds", "team-a", "k", nil}) {
		t.Error("readwrite: wrong grants")
	}
	admin, _, _ := Canned("admin", nil)
	if !allowed(admin, q{"envelopegw:GetObjectKeyIds", "x", "k", nil}) || !allowed(admin, q{"s3:DeleteBucket", "x", "", nil}) {
		t.Error("admin: wrong grants")
	}
	if _, _, err := Canned("admin", []string{"team-a"}); err == nil {
		t.Error("a scoped admin was accepted")
	}
	if _, _, err := Canned("superuser", nil); err == nil {
		t.Error("an unknown canned policy was accepted")
	}
}
