package s3api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A POST policy is a base64 JSON document: an expiration time and a list
// of conditions every form field must meet. Its errors are worded as S3
// words them (InvalidPolicyDocument for a document it cannot read,
// AccessDenied "Invalid according to Policy: ..." for a form it refuses):
// clients and people search for these strings.

// ErrInvalidPolicyDocument: the policy cannot be read.
var ErrInvalidPolicyDocument = newErr("InvalidPolicyDocument", http.StatusBadRequest, "Invalid Policy")

func policyInvalid(format string, args ...any) *Error {
	return ErrInvalidPolicyDocument.WithMessage("Invalid Policy: "+format, args...)
}

func policyRefused(format string, args ...any) *Error {
	return ErrAccessDenied.WithMessage("Invalid according to Policy: "+format, args...)
}

// postCondition is one policy condition, normalised.
type postCondition struct {
	op     string // "eq", "starts-with" or "content-length-range"
	field  string // lower-cased, without '$'; "" for content-length-range
	dollar bool   // the field was written with '$' (without, it never matches)
	value  string
	min    int64 // content-length-range bounds
	max    int64
	text   string // the condition as the error message quotes it
}

// postPolicy is a parsed policy.
type postPolicy struct {
	expiration time.Time
	conditions []postCondition
}

// parsePostPolicy decodes and parses the policy field.
func parsePostPolicy(b64 string) (*postPolicy, error) {
	if b64 == "" {
		return nil, policyInvalid("Expecting '{' but found End-of-Input")
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, policyInvalid("invalid Base64 encoding.")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, policyInvalid("Invalid JSON.")
	}
	for k := range doc {
		if k != "expiration" && k != "conditions" {
			return nil, policyInvalid("Unexpected: %q", k)
		}
	}
	p := &postPolicy{}
	exp, ok := doc["expiration"]
	if !ok {
		return nil, policyInvalid("Policy missing expiration.")
	}
	var es string
	if err := json.Unmarshal(exp, &es); err != nil {
		return nil, policyInvalid("Invalid JSON.")
	}
	if p.expiration, err = time.Parse(time.RFC3339Nano, es); err != nil {
		return nil, policyInvalid("Invalid 'expiration' value: '%s'", truncate(es, 64))
	}
	conds, ok := doc["conditions"]
	if !ok {
		return nil, policyInvalid("Policy missing conditions.")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(conds, &list); err != nil {
		return nil, policyInvalid("Invalid 'conditions' value: must be a List.")
	}
	for _, c := range list {
		pc, err := parsePostCondition(c)
		if err != nil {
			return nil, err
		}
		p.conditions = append(p.conditions, pc...)
	}
	return p, nil
}

// parsePostCondition parses one condition: a list [op, "$field", value] or
// ["content-length-range", min, max], or an object {"field": "value"}
// (an exact match).
func parsePostCondition(raw json.RawMessage) ([]postCondition, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, policyInvalid("Invalid JSON.")
		}
		if len(obj) != 1 {
			return nil, policyInvalid("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
		}
		for k, v := range obj {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, policyInvalid("Invalid Simple-Condition: value must be a string.")
			}
			text := `["eq", ` + jsonString("$"+k) + `, ` + jsonString(s) + `]`
			return []postCondition{{op: "eq", field: strings.ToLower(k), dollar: true, value: s, text: text}}, nil
		}
	case len(raw) > 0 && raw[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, policyInvalid("Invalid JSON.")
		}
		return parseListCondition(raw, list)
	}
	return nil, policyInvalid("Invalid condition test: must be a List or Object.")
}

func parseListCondition(raw json.RawMessage, list []json.RawMessage) ([]postCondition, error) {
	if len(list) == 0 {
		return nil, policyInvalid("Invalid Condition: missing operation identifier.")
	}
	var op string
	if err := json.Unmarshal(list[0], &op); err != nil {
		return nil, policyInvalid("Invalid JSON.")
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		return nil, policyInvalid("Invalid JSON.")
	}
	c := postCondition{op: strings.ToLower(op), text: compact.String()}
	switch c.op {
	case "eq", "starts-with":
	case "content-length-range":
		if len(list) != 3 {
			return nil, policyInvalid("Invalid %s: wrong number of arguments.", op)
		}
		var ok1, ok2 bool
		c.min, ok1 = policyInt(list[1])
		c.max, ok2 = policyInt(list[2])
		if !ok1 || !ok2 {
			return nil, policyInvalid("Invalid JSON.")
		}
		return []postCondition{c}, nil
	default:
		return nil, policyInvalid("Invalid Condition: unknown operation '%s'.", truncate(op, 64))
	}
	if len(list) != 3 {
		return nil, policyInvalid("Invalid %s: wrong number of arguments.", op)
	}
	var field string
	if json.Unmarshal(list[1], &field) != nil || json.Unmarshal(list[2], &c.value) != nil {
		return nil, policyInvalid("Invalid JSON.")
	}
	c.field, c.dollar = strings.CutPrefix(field, "$")
	c.field = strings.ToLower(c.field)
	return []postCondition{c}, nil
}

// policyInt reads a content-length-range bound: a JSON integer, or a
// string holding one.
func policyInt(raw json.RawMessage) (int64, bool) {
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		v, err := strconv.ParseInt(n.String(), 10, 64)
		return v, err == nil && v >= 0
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil && v >= 0
	}
	return 0, false
}

// jsonString quotes s as JSON does, without HTML escaping (the text goes
// into an error message, not into HTML).
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// check evaluates the conditions against the form: every condition must
// hold, and every field but the exempt ones must be named by one. bucket
// is the request's bucket ($bucket is checked against it). The
// content-length-ranges, if any, are returned as the one range within
// all of them, for the body to enforce.
func (p *postPolicy) check(f *postForm, bucket string) (minSize, maxSize int64, err error) {
	minSize, maxSize = 0, -1
	named := map[string]bool{}
	for _, c := range p.conditions {
		if c.op == "content-length-range" {
			// Every range binds: the file must lie in all of them.
			minSize = max(minSize, c.min)
			if maxSize < 0 || c.max < maxSize {
				maxSize = c.max
			}
			continue
		}
		named[c.field] = true
		v, _ := f.get(c.field)
		if c.field == "bucket" {
			v = bucket
		}
		if !c.dollar || !c.holds(v) {
			return 0, 0, policyRefused("Policy Condition failed: %s", c.text)
		}
	}
	for _, name := range f.order {
		if postExempt(name) || named[name] {
			continue
		}
		return 0, 0, policyRefused("Extra input fields: %s", name)
	}
	return minSize, maxSize, nil
}

// holds tests one eq or starts-with condition. A starts-with on
// Content-Type holds when every comma-separated type starts with the
// prefix, as S3 tests it.
func (c *postCondition) holds(v string) bool {
	if c.op == "eq" {
		return v == c.value
	}
	if c.field != "content-type" {
		return strings.HasPrefix(v, c.value)
	}
	for _, t := range strings.Split(v, ",") {
		if !strings.HasPrefix(strings.TrimSpace(t), c.value) {
			return false
		}
	}
	return true
}

// postExempt lists the fields no condition needs to name: the signature
// and policy themselves, the file, and x-ignore-* fields.
func postExempt(name string) bool {
	switch name {
	case "policy", "x-amz-signature", postFileField:
		return true
	}
	return strings.HasPrefix(name, postIgnorePrefix)
}
