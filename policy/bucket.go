package policy

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
)

// # Bucket policies
//
// ParseBucket reads a bucket policy: the same language, plus Principal
// (or NotPrincipal, with Deny only), with S3's validation and S3's
// wording for what it refuses (MalformedError.Msg is what S3 answers in
// its MalformedPolicy error). Differences from user policies, each as S3
// has them: Principal is required; every Resource must name the policy's
// own bucket or objects in it; an action must name at least one S3
// action, and one that applies to a resource of the statement; condition
// keys must be known keys that the statement's actions carry; the
// ForAnyValue:/ForAllValues: qualifiers are accepted.
//
// Principals name the gateway's users, which have no AWS account: "*"
// (or {"AWS": "*"}) is every authenticated user, and a user is named by
// its access key ID ({"AWS": "AKIA..."}) or by an IAM user ARN whose last
// path element is the user's name or access key
// ("arn:aws:iam::123456789012:user/backup"; the account field is not
// checked, the gateway has one account). A plain string naming an access
// key, and a plain list, are accepted as well (AWS accepts only "*"
// there). A principal that names no user is refused, as S3 refuses one
// that names no identity.

// MaxBucketPolicySize is S3's limit on a bucket policy: 20 KB, of the
// document without insignificant whitespace.
const MaxBucketPolicySize = 20480

// MalformedError is a bucket policy S3 would refuse, in S3's words.
type MalformedError struct{ Msg string }

func (e *MalformedError) Error() string { return e.Msg }

func malformed(msg string) *MalformedError { return &MalformedError{Msg: msg} }

// Messages S3 answers, kept as S3 words them (they are wire facts clients
// and people search for).
const (
	msgNotJSON          = "Policies must be valid JSON and the first byte must be '{'"
	msgInvalidJSON      = "This policy contains invalid Json"
	msgSyntax           = "Invalid policy syntax."
	msgVersion          = "The policy must contain a valid version string"
	msgStatementEmpty   = "Could not parse the policy: Statement is empty!"
	msgPrincipal        = "Invalid principal in policy"
	msgAction           = "Policy has invalid action"
	msgResource         = "Policy has invalid resource"
	msgMismatch         = "Action does not apply to any resource(s) in statement"
	msgConditionKey     = "Policy has an invalid condition key"
	msgConditionActions = "Conditions do not apply to combination of actions and resources in statement"
	msgConditionIP      = "Invalid IP address in Conditions"
	msgConditionValue   = "Invalid Condition value"
	msgTooLarge         = "Normalized policy document exceeds the maximum allowed size of 20480 bytes"
)

// ParseBucket parses and validates the policy text for bucket. known
// reports whether a principal name (an access key or a user name) names a
// user; nil accepts none but "*".
func ParseBucket(bucket string, text []byte, known func(string) bool) (*Policy, error) {
	if t := bytes.TrimLeft(text, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, malformed(msgNotJSON)
	}
	root, _, err := decodeTree(text)
	if err != nil || root.kind != 'o' {
		return nil, malformed(msgInvalidJSON)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, text); err != nil {
		return nil, malformed(msgInvalidJSON)
	}
	if compact.Len() > MaxBucketPolicySize {
		return nil, malformed(msgTooLarge)
	}
	p := &Policy{Name: "bucket-policy:" + bucket, Version: "2008-10-17"}
	var stmts *node
	for _, f := range root.fields {
		switch f.key {
		case "Version":
			if f.val.kind != 's' || (f.val.str != "2012-10-17" && f.val.str != "2008-10-17") {
				return nil, malformed(msgVersion)
			}
			p.Version = f.val.str
		case "Id":
			if f.val.kind != 's' {
				return nil, malformed(msgSyntax)
			}
		case "Statement":
			stmts = f.val
		default:
			return nil, malformed("Unknown field " + f.key)
		}
	}
	if stmts == nil {
		return nil, malformed("Missing required field Statement")
	}
	list := []*node{stmts}
	if stmts.kind == 'a' {
		list = stmts.items
	}
	if len(list) == 0 {
		return nil, malformed(msgStatementEmpty)
	}
	bp := bucketParser{bucket: bucket, known: known}
	for _, n := range list {
		st, err := bp.statement(n)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

type bucketParser struct {
	bucket string
	known  func(string) bool
}

// statement validates one statement in the order S3 reports problems:
// effect, principal, action, resource, conditions, and whether the
// actions apply to the resources.
func (bp bucketParser) statement(n *node) (Statement, error) {
	var st Statement
	if n.kind != 'o' {
		return st, malformed(msgSyntax)
	}
	f := map[string]*node{}
	for _, fl := range n.fields {
		switch fl.key {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
			f[fl.key] = fl.val
		default:
			return st, malformed("Unknown field " + fl.key)
		}
	}
	if v := f["Sid"]; v != nil {
		if v.kind != 's' {
			return st, malformed(msgSyntax)
		}
		st.Sid = v.str
	}
	switch v := f["Effect"]; {
	case v == nil:
		return st, malformed("Missing required field Effect")
	case v.kind == 's' && v.str == "Allow":
		st.Effect = Allow
	case v.kind == 's' && v.str == "Deny":
		st.Effect = Deny
	default:
		return st, malformed("Invalid effect: " + v.str)
	}
	pr, err := exactlyOne(f, "Principal", "NotPrincipal")
	if err != nil {
		return st, err
	}
	st.HasPrincipal, st.NotPrincipal = true, pr == "NotPrincipal"
	if st.NotPrincipal && st.Effect == Allow {
		return st, malformed(msgPrincipal)
	}
	if st.Principals, err = bp.principals(f[pr]); err != nil {
		return st, err
	}
	act, err := exactlyOne(f, "Action", "NotAction")
	if err != nil {
		return st, err
	}
	st.NotAction = act == "NotAction"
	if st.Actions, err = bucketActions(f[act]); err != nil {
		return st, err
	}
	res, err := exactlyOne(f, "Resource", "NotResource")
	if err != nil {
		return st, err
	}
	st.NotRes = res == "NotResource"
	if st.Resources, err = bp.resources(f[res]); err != nil {
		return st, err
	}
	// Conditions before the action/resource combination: S3 names a
	// condition key the actions never carry first.
	if c := f["Condition"]; c != nil {
		if st.Conds, err = st.bucketConditions(c); err != nil {
			return st, err
		}
	}
	if err := st.checkActionsApply(); err != nil {
		return st, err
	}
	return st, nil
}

func exactlyOne(f map[string]*node, a, notA string) (string, error) {
	switch {
	case f[a] != nil && f[notA] != nil:
		return "", malformed(msgSyntax)
	case f[a] != nil:
		return a, nil
	case f[notA] != nil:
		return notA, nil
	}
	return "", malformed("Missing required field " + a)
}

// strs reads a string or a non-empty list of strings; nil when it is not.
func strs(n *node) []string {
	list := []*node{n}
	if n.kind == 'a' {
		list = n.items
	}
	if len(list) == 0 {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, it := range list {
		if it.kind != 's' {
			return nil
		}
		out = append(out, it.str)
	}
	return out
}

func (bp bucketParser) principals(n *node) ([]string, error) {
	if n.kind == 'o' {
		if len(n.fields) != 1 || n.fields[0].key != "AWS" {
			return nil, malformed(msgPrincipal) // Service, Federated, CanonicalUser: no such identities here
		}
		n = n.fields[0].val
	}
	names := strs(n)
	if names == nil || (len(names) > 1 && slices.Contains(names, "*")) {
		return nil, malformed(msgPrincipal)
	}
	out := make([]string, 0, len(names))
	for _, s := range names {
		if s == "*" {
			out = append(out, s)
			continue
		}
		name := s
		if rest, ok := strings.CutPrefix(s, "arn:aws:iam::"); ok {
			_, path, ok := strings.Cut(rest, ":user/")
			if !ok || path == "" {
				return nil, malformed(msgPrincipal)
			}
			name = path[strings.LastIndexByte(path, '/')+1:]
		}
		if name == "" || bp.known == nil || !bp.known(name) {
			return nil, malformed(msgPrincipal)
		}
		out = append(out, name)
	}
	return out, nil
}

func bucketActions(n *node) ([]string, error) {
	list := strs(n)
	if list == nil {
		return nil, malformed(msgAction)
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		a = strings.ToLower(a)
		if a != "*" {
			op, ok := strings.CutPrefix(a, "s3:")
			if !ok || op == "" || strings.ContainsFunc(op, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r == '*' || r == '?')
			}) {
				return nil, malformed(msgAction)
			}
			if _, ok := matchingActions(a); !ok {
				return nil, malformed(msgAction)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func (bp bucketParser) resources(n *node) ([]string, error) {
	list := strs(n)
	if list == nil {
		return nil, malformed(msgResource)
	}
	for _, r := range list {
		rest, ok := strings.CutPrefix(r, ARNPrefix)
		b, _, _ := strings.Cut(rest, "/")
		if !ok || b != bp.bucket || strings.Contains(r, "${") {
			return nil, malformed(msgResource)
		}
	}
	return list, nil
}

// checkActionsApply refuses an action pattern none of whose actions
// applies to a resource of the statement (s3:GetObject on the bucket,
// s3:ListBucket on objects).
func (st *Statement) checkActionsApply() error {
	if st.NotAction || st.NotRes {
		return nil
	}
	kinds := map[resKind]bool{}
	for _, r := range st.Resources {
		if strings.Contains(strings.TrimPrefix(r, ARNPrefix), "/") {
			kinds[resObject] = true
		} else {
			kinds[resBucket] = true
		}
	}
	for _, a := range st.Actions {
		if a == "*" || a == "s3:*" {
			continue
		}
		m, _ := matchingActions(a)
		if !(m[resBucket] && kinds[resBucket]) && !(m[resObject] && kinds[resObject]) {
			return malformed(msgMismatch)
		}
	}
	return nil
}

// bucketConditions parses a Condition block of a bucket policy.
func (st *Statement) bucketConditions(n *node) ([]condition, error) {
	if n.kind != 'o' {
		return nil, malformed(msgSyntax)
	}
	var out []condition
	for _, f := range n.fields {
		name, set := f.key, ""
		if q, rest, ok := strings.Cut(name, ":"); ok {
			switch q {
			case "ForAnyValue":
				set = "forany"
			case "ForAllValues":
				set = "forall"
			default:
				return nil, malformed("Invalid Condition type : " + f.key)
			}
			name = rest
		}
		base, ifExists := strings.CutSuffix(name, "IfExists")
		spec, ok := operators[base]
		if !ok || (ifExists && spec.kind == kNull) {
			return nil, malformed("Invalid Condition type : " + f.key)
		}
		if f.val.kind != 'o' || len(f.val.fields) == 0 {
			return nil, malformed(msgSyntax)
		}
		for _, kf := range f.val.fields {
			if err := st.checkConditionKey(kf); err != nil {
				return nil, err
			}
			if err := checkSupplied(kf); err != nil {
				return nil, err
			}
			c, err := parseCondition(source{}, base, ifExists, spec.kind, kf)
			if err != nil {
				return nil, malformed(msgConditionValue)
			}
			c.set = set
			out = append(out, c)
		}
	}
	return out, nil
}

// checkConditionKey refuses unknown keys, S3 keys the statement's
// actions never carry, and aws:SourceIp values that are not addresses
// (under any operator, as S3 does).
func (st *Statement) checkConditionKey(kf field) error {
	key := strings.ToLower(kf.key)
	acts, known := conditionKey(key)
	if !known {
		return malformed(msgConditionKey)
	}
	if key == "aws:sourceip" {
		list := []*node{kf.val}
		if kf.val.kind == 'a' {
			list = kf.val.items
		}
		for _, v := range list {
			if _, err := parsePrefix(v.str); v.kind != 's' || err != nil {
				return malformed(msgConditionIP)
			}
		}
	}
	if acts == nil || st.NotAction {
		return nil
	}
	for _, a := range st.Actions {
		if strings.ContainsAny(a, "*?") {
			return nil // a pattern: some action it names may carry the key
		}
	}
	for _, a := range st.Actions {
		if !slices.Contains(acts, strings.TrimPrefix(a, "s3:")) {
			return malformed(msgConditionActions)
		}
	}
	return nil
}

// checkSupplied refuses a known key the gateway never supplies.
func checkSupplied(kf field) error {
	if key := strings.ToLower(kf.key); !suppliedKeys[key] {
		return &UnsupportedError{Key: kf.key}
	}
	return nil
}

// matchesPrincipal reports whether the statement's Principal names one
// of the caller's names.
func (st *Statement) matchesPrincipal(names []string) bool {
	for _, p := range st.Principals {
		if p == "*" || slices.Contains(names, p) {
			return true
		}
	}
	return false
}

// IsPublic reports whether the policy is public as S3's Block Public
// Access defines it: some Allow statement grants to every principal
// (or to all but some) without a condition that pins the caller to fixed
// values (aws:SourceIp no wider than /8 for IPv4 or /32 for IPv6, or
// aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner,
// aws:SourceAccount, aws:userid, s3:DataAccessPointArn or
// s3:DataAccessPointAccount without wildcards).
func (p *Policy) IsPublic() bool {
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != Allow || !st.HasPrincipal {
			continue
		}
		if (st.NotPrincipal || slices.Contains(st.Principals, "*")) && !st.pinned() {
			return true
		}
	}
	return false
}

var fixedKeys = setOf("aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce",
	"aws:sourceowner", "aws:sourceaccount", "aws:userid", "s3:dataaccesspointarn", "s3:dataaccesspointaccount")

func (st *Statement) pinned() bool {
	for i := range st.Conds {
		c := &st.Conds[i]
		spec := operators[c.op]
		if !fixedKeys[c.key] || spec.negated || spec.kind == kNull || c.ifExists || c.set == "forall" {
			continue
		}
		ok := true
		for j, v := range c.values {
			if strings.ContainsAny(v, "*?") || strings.Contains(v, "${") {
				ok = false
			}
			if c.key == "aws:sourceip" && (spec.kind != kIP || !narrow(c.nets[j])) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// narrow: an address block S3 does not count as public (every RFC 1918
// block is itself /8 or narrower).
func narrow(p netip.Prefix) bool {
	if p.Addr().Is4() {
		return p.Bits() >= 8
	}
	return p.Bits() >= 32
}
