package policy

import (
	"encoding/base64"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// condition is one (operator, key, values) triple of a Condition block.
type condition struct {
	op       string // base operator, e.g. "StringLike"
	ifExists bool
	key      string   // lower-case
	values   []string // as written (for Numeric: canonical numbers)
	nums     []*big.Rat
	nets     []netip.Prefix
	times    []time.Time
	// set is "forany" or "forall" for the ForAnyValue: and ForAllValues:
	// qualifiers (bucket policies only): every key here has one value, so
	// ForAnyValue is the plain operator on a present key and false on an
	// absent one, and ForAllValues is true on an absent key.
	set string
}

type opKind uint8

const (
	kString opKind = iota
	kNumeric
	kBool
	kIP
	kNull
	kDate
	kBinary
	kArn
)

// operators maps each supported operator to its kind and whether it is
// negated (a negated operator is true for a key the request lacks).
var operators = map[string]struct {
	kind    opKind
	negated bool
}{
	"StringEquals":              {kString, false},
	"StringNotEquals":           {kString, true},
	"StringEqualsIgnoreCase":    {kString, false},
	"StringNotEqualsIgnoreCase": {kString, true},
	"StringLike":                {kString, false},
	"StringNotLike":             {kString, true},
	"NumericEquals":             {kNumeric, false},
	"NumericNotEquals":          {kNumeric, true},
	"NumericLessThan":           {kNumeric, false},
	"NumericLessThanEquals":     {kNumeric, false},
	"NumericGreaterThan":        {kNumeric, false},
	"NumericGreaterThanEquals":  {kNumeric, false},
	"Bool":                      {kBool, false},
	"IpAddress":                 {kIP, false},
	"NotIpAddress":              {kIP, true},
	"Null":                      {kNull, false},
	"DateEquals":                {kDate, false},
	"DateNotEquals":             {kDate, true},
	"DateLessThan":              {kDate, false},
	"DateLessThanEquals":        {kDate, false},
	"DateGreaterThan":           {kDate, false},
	"DateGreaterThanEquals":     {kDate, false},
	"BinaryEquals":              {kBinary, false},
	"ArnEquals":                 {kArn, false},
	"ArnLike":                   {kArn, false},
	"ArnNotEquals":              {kArn, true},
	"ArnNotLike":                {kArn, true},
}

// parseTime reads a Date operator's value or a date context key: ISO 8601
// (with or without a time, with Z or an offset) or epoch seconds.
func parseTime(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02", "20060102T150405Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseConditions(src source, n *node) ([]condition, error) {
	if n.kind != 'o' {
		return nil, src.errAt(n.off, "Condition must be an object of operators, not %s", n.kindName())
	}
	var out []condition
	for _, f := range n.fields {
		name := f.key
		if strings.HasPrefix(name, "ForAnyValue:") || strings.HasPrefix(name, "ForAllValues:") {
			return nil, src.errAt(f.off, "condition operator %q: set qualifiers are not supported (every key here has one value)", name)
		}
		base, ifExists := strings.CutSuffix(name, "IfExists")
		spec, ok := operators[base]
		if !ok || (ifExists && spec.kind == kNull) {
			return nil, src.errAt(f.off, "unknown condition operator %q", name)
		}
		if f.val.kind != 'o' || len(f.val.fields) == 0 {
			return nil, src.errAt(f.val.off, "condition %s must be an object of keys and values", name)
		}
		for _, kf := range f.val.fields {
			c, err := parseCondition(src, base, ifExists, spec.kind, kf)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func parseCondition(src source, op string, ifExists bool, kind opKind, kf field) (condition, error) {
	c := condition{op: op, ifExists: ifExists, key: strings.ToLower(kf.key)}
	if svc, name, ok := strings.Cut(c.key, ":"); !ok || svc == "" || name == "" {
		return c, src.errAt(kf.off, "condition key %q: want \"service:name\" such as \"s3:prefix\"", kf.key)
	}
	list := []*node{kf.val}
	if kf.val.kind == 'a' {
		list = kf.val.items
		if len(list) == 0 {
			return c, src.errAt(kf.val.off, "condition %s %s has no values", op, kf.key)
		}
	}
	for _, v := range list {
		var s string
		switch v.kind {
		case 's', 'n':
			s = v.str
		case 'b':
			s = map[bool]string{true: "true", false: "false"}[v.b]
		default:
			return c, src.errAt(v.off, "condition values are strings, numbers or booleans, not %s", v.kindName())
		}
		switch kind {
		case kNumeric:
			r, ok := new(big.Rat).SetString(s)
			if !ok {
				return c, src.errAt(v.off, "%s needs a number, not %q", op, s)
			}
			c.nums = append(c.nums, r)
		case kBool, kNull:
			s = strings.ToLower(s)
			if s != "true" && s != "false" {
				return c, src.errAt(v.off, "%s needs true or false, not %q", op, s)
			}
		case kDate:
			t, ok := parseTime(s)
			if !ok {
				return c, src.errAt(v.off, "%s needs an ISO 8601 date or epoch seconds, not %q", op, s)
			}
			c.times = append(c.times, t)
		case kBinary:
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				return c, src.errAt(v.off, "%s needs base64, not %q", op, s)
			}
		case kIP:
			p, err := parsePrefix(s)
			if err != nil {
				return c, src.errAt(v.off, "%s needs an IP address or CIDR block, not %q", op, s)
			}
			c.nets = append(c.nets, p)
		}
		c.values = append(c.values, s)
	}
	return c, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// holds evaluates the condition against the request's context.
func (c *condition) holds(ctx map[string]string) bool {
	v, present := ctx[c.key]
	spec := operators[c.op]
	if spec.kind == kNull {
		return (c.values[0] == "true") != present
	}
	if !present {
		switch c.set {
		case "forany":
			return false
		case "forall":
			return true
		}
		return c.ifExists || spec.negated
	}
	any := false
	for i, want := range c.values {
		if c.matchOne(spec.kind, i, want, v) {
			any = true
			break
		}
	}
	if spec.negated {
		return !any
	}
	return any
}

// matchOne is the positive form of the operator for one policy value.
func (c *condition) matchOne(kind opKind, i int, want, got string) bool {
	switch kind {
	case kString:
		switch c.op {
		case "StringEquals", "StringNotEquals":
			return got == want
		case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
			return strings.EqualFold(got, want)
		}
		return wildcard(want, got)
	case kNumeric:
		g, ok := new(big.Rat).SetString(got)
		if !ok {
			return false
		}
		cmp := g.Cmp(c.nums[i])
		switch c.op {
		case "NumericEquals", "NumericNotEquals":
			return cmp == 0
		case "NumericLessThan":
			return cmp < 0
		case "NumericLessThanEquals":
			return cmp <= 0
		case "NumericGreaterThan":
			return cmp > 0
		}
		return cmp >= 0
	case kBool:
		return strings.EqualFold(got, want)
	case kIP:
		a, err := netip.ParseAddr(got)
		return err == nil && c.nets[i].Contains(a.Unmap())
	case kDate:
		g, ok := parseTime(got)
		if !ok {
			return false
		}
		w := c.times[i]
		switch c.op {
		case "DateEquals", "DateNotEquals":
			return g.Equal(w)
		case "DateLessThan":
			return g.Before(w)
		case "DateLessThanEquals":
			return !g.After(w)
		case "DateGreaterThan":
			return g.After(w)
		}
		return !g.Before(w)
	case kBinary:
		return base64.StdEncoding.EncodeToString([]byte(got)) == want
	case kArn:
		if c.op == "ArnEquals" || c.op == "ArnNotEquals" {
			return got == want
		}
		return wildcard(want, got)
	}
	return false
}
