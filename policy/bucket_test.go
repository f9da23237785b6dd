package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func knownUsers(name string) bool { return name == "AKUSER1" || name == "backup" || name == "AKADMIN" }

func stmt(effect, principal, action, resource string, extra ...string) []byte {
	s := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":%s,"Principal":%s,"Action":%s,"Resource":%s%s}]}`,
		effect, principal, action, resource, strings.Join(extra, ""))
	return []byte(s)
}

// TestParseBucketRefusals: each malformed policy is refused with the
// message S3 answers in its MalformedPolicy error.
func TestParseBucketRefusals(t *testing.T) {
	const obj, bkt = `"arn:aws:s3:::b/*"`, `"arn:aws:s3:::b"`
	cond := func(c string) string { return `,"Condition":` + c }
	for _, tc := range []struct {
		doc  []byte
		want string
	}{
		{[]byte(""), "Policies must be valid JSON and the first byte must be '{'"},
		{[]byte("false"), "Policies must be valid JSON and the first byte must be '{'"},
		{[]byte(`"Statement": []}`), "Policies must be valid JSON and the first byte must be '{'"},
		{[]byte("{true}"), "This policy contains invalid Json"},
		{[]byte(`{"Principal": "*" `), "This policy contains invalid Json"},
		{[]byte(`{"Statement":[], "Statement":[]}`), "This policy contains invalid Json"},
		{[]byte(`{}`), "Missing required field Statement"},
		{[]byte(`{"Statement": []}`), "Could not parse the policy: Statement is empty!"},
		{[]byte(`{"Version":"2012-10-16","Statement":[]}`), "The policy must contain a valid version string"},
		{[]byte(`{"Version":"","Statement":[]}`), "The policy must contain a valid version string"},
		{stmt(`"Maybe"`, `"*"`, `"s3:*"`, bkt), "Invalid effect: Maybe"},
		{[]byte(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}]}`), "Missing required field Principal"},
		{stmt(`"Allow"`, `""`, `"s3:*"`, bkt), "Invalid principal in policy"},
		{stmt(`"Allow"`, `[]`, `"s3:*"`, bkt), "Invalid principal in policy"},
		{stmt(`"Allow"`, `{"AWS":""}`, `"s3:*"`, bkt), "Invalid principal in policy"},
		{stmt(`"Allow"`, `{"AWS":[]}`, `"s3:*"`, bkt), "Invalid principal in policy"},
		{stmt(`"Allow"`, `["*","AKUSER1"]`, `"s3:*"`, bkt), "Invalid principal in policy"},
		{stmt(`"Allow"`, `["nobody1","nobody2"]`, `"s3:*"`, bkt), "Invalid principal in policy"},
		{stmt(`"Allow"`, `{"Service":"cloudfront.amazonaws.com"}`, `"s3:*"`, bkt), "Invalid principal in policy"},
		{stmt(`"Allow"`, `{"AWS":"arn:aws:iam::123456789012:user/nobody"}`, `"s3:*"`, bkt), "Invalid principal in policy"},
		{[]byte(`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"AKUSER1"},"Action":"s3:*","Resource":"arn:aws:s3:::b"}]}`), "Invalid principal in policy"},
		{stmt(`"Allow"`, `"AKUSER1"`, `""`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `[]`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3"`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s4:GetObject"`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3::GetObject"`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:Put-Object"`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:*Obj??ect*"`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:????"`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"*GetObject"`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"iam:CreateUser"`, bkt), "Policy has invalid action"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:*"`, `""`), "Policy has invalid resource"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:*"`, `[]`), "Policy has invalid resource"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:*"`, `"arn:aws:iam:::b"`), "Policy has invalid resource"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:*"`, `"arn:aws:s3:::/b"`), "Policy has invalid resource"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:*"`, `"arn:aws:s3:::prefix-b"`), "Policy has invalid resource"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:*"`, `"arn:aws:s3:::*"`), "Policy has invalid resource"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:*"`, `"*"`), "Policy has invalid resource"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, bkt), "Action does not apply to any resource(s) in statement"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:Abort*"`, bkt), "Action does not apply to any resource(s) in statement"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:ListBucket"`, obj), "Action does not apply to any resource(s) in statement"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:ListAllMyBuckets"`, bkt), "Action does not apply to any resource(s) in statement"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"NotARealOperator":{"aws:SourceIp":"1.2.3.4"}}`)), "Invalid Condition type : NotARealOperator"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"stringequals":{"aws:UserAgent":"x"}}`)), "Invalid Condition type : stringequals"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"NullIfExists":{"aws:UserAgent":"true"}}`)), "Invalid Condition type : NullIfExists"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"ForSomeValues:StringEquals":{"aws:UserAgent":"x"}}`)), "Invalid Condition type : ForSomeValues:StringEquals"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"StringEquals":{"s3:FakeKey":"x"}}`)), "Policy has an invalid condition key"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"StringEquals":{"aws:NotARealGlobalKey":"x"}}`)), "Policy has an invalid condition key"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"StringEquals":{"s3:prefix":"x"}}`)), "Conditions do not apply to combination of actions and resources in statement"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:ListBucketMultipartUploads"`, obj, cond(`{"StringEquals":{"s3:prefix":"x"}}`)), "Conditions do not apply to combination of actions and resources in statement"},
		{stmt(`"Allow"`, `"AKUSER1"`, `["s3:GetObject","s3:PutObject"]`, obj, cond(`{"StringEquals":{"s3:x-amz-acl":"private"}}`)), "Conditions do not apply to combination of actions and resources in statement"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"IpAddress":{"aws:SourceIp":"not-an-ip"}}`)), "Invalid IP address in Conditions"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"NotIpAddress":{"aws:SourceIp":"300.1.1.1/40"}}`)), "Invalid IP address in Conditions"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"Null":{"aws:SourceIp":"true"}}`)), "Invalid IP address in Conditions"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, cond(`{"DateLessThan":{"aws:CurrentTime":"yesterday"}}`)), "Invalid Condition value"},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj, `,"Extra":1`), "Unknown field Extra"},
		{[]byte(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},"Foo":1}`), "Unknown field Foo"},
		{[]byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`), "Invalid policy syntax."},
		{[]byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::b/*"}]}`), "Missing required field Action"},
		{[]byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`), "Missing required field Resource"},
		{[]byte(`{"Statement":[` + strings.Repeat(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},`, 250) + `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`), "Normalized policy document exceeds the maximum allowed size of 20480 bytes"},
	} {
		_, err := ParseBucket("b", tc.doc, knownUsers)
		var me *MalformedError
		if !errors.As(err, &me) || me.Msg != tc.want {
			t.Errorf("%.120s: got %v, want MalformedPolicy %q", tc.doc, err, tc.want)
		}
	}
}

// TestParseBucketAccepts: well-formed policies in the forms S3 takes and
// the principal forms this gateway documents.
func TestParseBucketAccepts(t *testing.T) {
	for _, doc := range [][]byte{
		stmt(`"Deny"`, `"*"`, `"s3:DeleteBucket"`, `"arn:aws:s3:::b"`),
		stmt(`"Deny"`, `{"AWS":"*"}`, `["s3:DeleteBucket","s3:GetBucketAcl"]`, `["arn:aws:s3:::b","arn:aws:s3:::b"]`),
		stmt(`"Allow"`, `{"AWS":["AKUSER1","arn:aws:iam::123456789012:user/backup"]}`, `"s3:Get*"`, `"arn:aws:s3:::b/*"`),
		stmt(`"Allow"`, `"AKUSER1"`, `"s3:*"`, `["arn:aws:s3:::b","arn:aws:s3:::b/*"]`),
		stmt(`"Allow"`, `["AKUSER1","backup"]`, `"*"`, `"arn:aws:s3:::b/m?-obj/*"`),
		stmt(`"Allow"`, `"AKUSER1"`, `"s3:ListBucket"`, `"arn:aws:s3:::b"`, `,"Condition":{"StringLike":{"s3:prefix":"home/*"},"ForAnyValue:StringEquals":{"aws:username":"x"}}`),
		stmt(`"Allow"`, `"AKUSER1"`, `"s3:BypassGovernanceRetention"`, `"arn:aws:s3:::b/*"`),
		[]byte(`{"Version":"2008-10-17","Id":"x","Statement":{"Sid":"1","Effect":"Deny","NotPrincipal":{"AWS":"AKADMIN"},"NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/public/*"}}`),
	} {
		if _, err := ParseBucket("b", doc, knownUsers); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

func TestBucketPolicyEvaluate(t *testing.T) {
	p, err := ParseBucket("b", []byte(`{"Statement":[
		{"Sid":"ReadHome","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:user/backup"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/*"},
		{"Sid":"NoDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"},
		{"Sid":"KeepAdmin","Effect":"Deny","NotPrincipal":{"AWS":"AKADMIN"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/locked/*"}]}`), knownUsers)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who      []string
		action   string
		resource string
		want     Effect
	}{
		{[]string{"AKUSER2", "backup"}, "s3:GetObject", "arn:aws:s3:::b/home/x", Allow},
		{[]string{"AKUSER2", "backup"}, "s3:GetObject", "arn:aws:s3:::b/other/x", NotApplicable},
		{[]string{"AKUSER1", "someone"}, "s3:GetObject", "arn:aws:s3:::b/home/x", NotApplicable},
		{[]string{"AKADMIN", "AKADMIN"}, "s3:DeleteObject", "arn:aws:s3:::b/home/x", Deny},
		{[]string{"AKADMIN", "AKADMIN"}, "s3:PutObject", "arn:aws:s3:::b/locked/x", NotApplicable},
		{[]string{"AKUSER1", "u"}, "s3:PutObject", "arn:aws:s3:::b/locked/x", Deny},
	} {
		d := p.Evaluate(&Request{Action: tc.action, Resource: tc.resource, Principals: tc.who, Context: map[string]string{}})
		if d.Effect != tc.want {
			t.Errorf("%v %s %s: %v, want %v", tc.who, tc.action, tc.resource, d.Effect, tc.want)
		}
	}
}

func TestBucketPolicyIsPublic(t *testing.T) {
	const obj = `"arn:aws:s3:::b/*"`
	cond := func(c string) string { return `,"Condition":` + c }
	for _, tc := range []struct {
		doc  []byte
		want bool
	}{
		{stmt(`"Allow"`, `"*"`, `"s3:GetObject"`, obj), true},
		{stmt(`"Allow"`, `{"AWS":"*"}`, `"s3:GetObject"`, obj), true},
		{stmt(`"Deny"`, `"*"`, `"s3:GetObject"`, obj), false},
		{stmt(`"Allow"`, `"AKUSER1"`, `"s3:GetObject"`, obj), false},
		{stmt(`"Allow"`, `"*"`, `"s3:GetObject"`, obj, cond(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), false},
		{stmt(`"Allow"`, `"*"`, `"s3:GetObject"`, obj, cond(`{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}`)), true},
		{stmt(`"Allow"`, `"*"`, `"s3:GetObject"`, obj, cond(`{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`)), false},
		{stmt(`"Allow"`, `"*"`, `"s3:GetObject"`, obj, cond(`{"IpAddress":{"aws:SourceIp":"2001::/16"}}`)), true},
		{stmt(`"Allow"`, `"*"`, `"s3:GetObject"`, obj, cond(`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)), true},
		{stmt(`"Allow"`, `"*"`, `"s3:GetObject"`, obj, cond(`{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`)), true},
		{stmt(`"Allow"`, `"*"`, `"s3:GetObject"`, obj, cond(`{"StringEquals":{"aws:UserAgent":"x"}}`)), true},
	} {
		p, err := ParseBucket("b", tc.doc, knownUsers)
		if err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		if got := p.IsPublic(); got != tc.want {
			t.Errorf("%s: public %v, want %v", tc.doc, got, tc.want)
		}
	}
}

// TestBucketConditions: each operator family against request context
// values, as a bucket policy's Allow statement.
func TestBucketConditions(t *testing.T) {
	ctx := map[string]string{
		"aws:sourceip": "192.168.1.10", "aws:securetransport": "false", "s3:prefix": "home/alice/",
		"s3:max-keys": "100", "aws:currenttime": "2026-12-07T13:00:00Z", "aws:epochtime": "1796648400",
		"aws:useragent": "aws-sdk-go-v2/1.0", "s3:x-amz-copy-source": "b/public/x",
		"aws:referer": "https://example.com/page",
	}
	for _, tc := range []struct {
		action, cond string
		want         bool
	}{
		{"s3:GetObject", `{"IpAddress":{"aws:SourceIp":"192.168.1.0/24"}}`, true},
		{"s3:GetObject", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.1.10"]}}`, true},
		{"s3:GetObject", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, false},
		{"s3:GetObject", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true},
		{"s3:GetObject", `{"NotIpAddress":{"aws:SourceIp":"192.168.0.0/16"}}`, false},
		{"s3:ListBucket", `{"StringLike":{"s3:prefix":"home/*"}}`, true},
		{"s3:ListBucket", `{"StringEquals":{"s3:prefix":"home/"}}`, false},
		{"s3:ListBucket", `{"StringNotEquals":{"s3:prefix":"home/"}}`, true},
		{"s3:ListBucket", `{"StringEqualsIgnoreCase":{"s3:prefix":"HOME/ALICE/"}}`, true},
		{"s3:ListBucket", `{"StringNotLike":{"s3:prefix":"home/*"}}`, false},
		{"s3:ListBucket", `{"NumericLessThanEquals":{"s3:max-keys":"100"}}`, true},
		{"s3:ListBucket", `{"NumericGreaterThan":{"s3:max-keys":100}}`, false},
		{"s3:ListBucket", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, true},
		{"s3:GetObject", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, true},
		{"s3:GetObject", `{"DateLessThan":{"aws:CurrentTime":"2026-12-07"}}`, false},
		{"s3:GetObject", `{"DateLessThanEquals":{"aws:EpochTime":"1796648400"}}`, true},
		{"s3:GetObject", `{"DateEquals":{"aws:CurrentTime":"2026-12-07T14:00:00+01:00"}}`, true},
		{"s3:GetObject", `{"DateNotEquals":{"aws:CurrentTime":"2026-12-07T13:00:00Z"}}`, false},
		{"s3:GetObject", `{"Bool":{"aws:SecureTransport":"false"}}`, true},
		{"s3:GetObject", `{"Bool":{"aws:SecureTransport":true}}`, false},
		{"s3:GetObject", `{"Null":{"aws:username":"true"}}`, true},
		{"s3:PutObject", `{"Null":{"s3:x-amz-acl":"false"}}`, false},
		{"s3:GetObject", `{"Null":{"aws:useragent":"false"}}`, true},
		{"s3:GetObject", `{"StringEqualsIfExists":{"aws:username":"bob"}}`, true},
		{"s3:GetObject", `{"StringEquals":{"aws:username":"bob"}}`, false},
		{"s3:GetObject", `{"ForAnyValue:StringLike":{"aws:UserAgent":["curl*","aws-sdk-go*"]}}`, true},
		{"s3:GetObject", `{"ForAnyValue:StringEquals":{"aws:username":"bob"}}`, false},
		{"s3:GetObject", `{"ForAllValues:StringEquals":{"aws:username":"bob"}}`, true},
		{"s3:GetObject", `{"BinaryEquals":{"aws:UserAgent":"YXdzLXNkay1nby12Mi8xLjA="}}`, true},
		{"s3:GetObject", `{"ArnLike":{"aws:Referer":"https://example.com/*"}}`, true},
		{"s3:GetObject", `{"ArnNotEquals":{"aws:Referer":"https://example.com/page"}}`, false},
		{"s3:PutObject", `{"StringLike":{"s3:x-amz-copy-source":"b/public/*"}}`, true},
		{"s3:GetObject", `{"StringLike":{"aws:Referer":"https://example.com/*"},"IpAddress":{"aws:SourceIp":"192.168.1.0/24"}}`, true},
		{"s3:GetObject", `{"StringLike":{"aws:Referer":"https://example.com/*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, false},
	} {
		res := `"arn:aws:s3:::b/*"`
		if tc.action == "s3:ListBucket" {
			res = `"arn:aws:s3:::b"`
		}
		p, err := ParseBucket("b", stmt(`"Allow"`, `"AKUSER1"`, `"`+tc.action+`"`, res, `,"Condition":`+tc.cond), knownUsers)
		if err != nil {
			t.Errorf("%s: %v", tc.cond, err)
			continue
		}
		r := strings.Trim(res, `"`)
		if tc.action != "s3:ListBucket" {
			r = "arn:aws:s3:::b/k"
		}
		d := p.Evaluate(&Request{Action: tc.action, Resource: r, Context: ctx, Principals: []string{"AKUSER1"}})
		if d.Allowed() != tc.want {
			t.Errorf("%s: allowed %v, want %v", tc.cond, d.Allowed(), tc.want)
		}
	}
}

// TestBucketPolicyUnsuppliedKeys: a key AWS knows but no request here
// carries is refused, not accepted to never hold.
func TestBucketPolicyUnsuppliedKeys(t *testing.T) {
	for _, c := range []string{
		`{"StringEquals":{"aws:SourceAccount":"123456789012"}}`,
		`{"StringEquals":{"s3:ExistingObjectTag/class":"secret"}}`,
		`{"Null":{"aws:SourceVpc":"true"}}`,
	} {
		_, err := ParseBucket("b", stmt(`"Deny"`, `"*"`, `"s3:GetObject"`, `"arn:aws:s3:::b/*"`, `,"Condition":`+c), knownUsers)
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Errorf("%s: %v, want UnsupportedError", c, err)
		}
	}
}
