package policy

import (
	"fmt"
	"strings"
)

// Effect is what a statement, or a whole evaluation, says.
type Effect uint8

const (
	// NotApplicable: nothing matched; the request is denied by default.
	NotApplicable Effect = iota
	Allow
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NotApplicable"
}

// Policy is a parsed document.
type Policy struct {
	Name       string // the file, or "canned:NAME", for logs
	Version    string
	Statements []Statement
}

// Statement is one parsed statement.
type Statement struct {
	Sid       string
	Effect    Effect
	Actions   []string // lower-case patterns
	NotAction bool     // Actions came from NotAction
	Resources []string
	NotRes    bool // Resources came from NotResource
	Conds     []condition
	// HasPrincipal marks a bucket policy's statement: it applies only to
	// the callers Principals name ("*": every authenticated caller), or
	// with NotPrincipal to every other caller.
	HasPrincipal bool
	NotPrincipal bool
	Principals   []string
}

// Parse parses the policy document text read from file (the name is for
// errors and logs only).
func Parse(file string, text []byte) (*Policy, error) {
	return ParseEmbedded(file, text, 0, len(text))
}

// ParseEmbedded parses the document whole[off:end], a policy inside a
// larger file, so that errors name the line and column in that file.
func ParseEmbedded(file string, whole []byte, off, end int) (*Policy, error) {
	src := source{file: file, whole: whole, base: off}
	text := whole[off:end]
	if len(text) > MaxDocumentSize {
		return nil, src.errAt(0, "the policy is %d bytes, more than %d", len(text), MaxDocumentSize)
	}
	root, errOff, err := decodeTree(text)
	if err != nil {
		return nil, src.errAt(errOff, "%s", err)
	}
	p := &Policy{Name: file}
	if err := p.fromTree(src, root); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Policy) fromTree(src source, root *node) error {
	if root.kind != 'o' {
		return src.errAt(root.off, "a policy is a JSON object, not %s", root.kindName())
	}
	var stmts *node
	for _, f := range root.fields {
		switch f.key {
		case "Version":
			if f.val.kind != 's' || (f.val.str != "2012-10-17" && f.val.str != "2008-10-17") {
				return src.errAt(f.val.off, `Version must be "2012-10-17" (or "2008-10-17")`)
			}
			p.Version = f.val.str
		case "Id":
			if f.val.kind != 's' {
				return src.errAt(f.val.off, "Id must be a string")
			}
		case "Statement":
			stmts = f.val
		default:
			return src.errAt(f.off, "unknown field %q (want Version, Id, Statement)", f.key)
		}
	}
	if stmts == nil {
		return src.errAt(root.off, "the policy has no Statement")
	}
	list := []*node{stmts}
	if stmts.kind == 'a' {
		list = stmts.items
	}
	if len(list) == 0 {
		return src.errAt(stmts.off, "Statement is empty")
	}
	for _, n := range list {
		st, err := parseStatement(src, n)
		if err != nil {
			return err
		}
		p.Statements = append(p.Statements, st)
	}
	return nil
}

func parseStatement(src source, n *node) (Statement, error) {
	var st Statement
	if n.kind != 'o' {
		return st, src.errAt(n.off, "a statement is a JSON object, not %s", n.kindName())
	}
	var haveEffect, haveAction, haveResource bool
	for _, f := range n.fields {
		var err error
		switch f.key {
		case "Sid":
			if f.val.kind != 's' {
				return st, src.errAt(f.val.off, "Sid must be a string")
			}
			st.Sid = f.val.str
		case "Effect":
			switch {
			case f.val.kind == 's' && f.val.str == "Allow":
				st.Effect = Allow
			case f.val.kind == 's' && f.val.str == "Deny":
				st.Effect = Deny
			default:
				return st, src.errAt(f.val.off, `Effect must be "Allow" or "Deny"`)
			}
			haveEffect = true
		case "Action", "NotAction":
			if haveAction {
				return st, src.errAt(f.off, "a statement has one of Action and NotAction")
			}
			haveAction, st.NotAction = true, f.key == "NotAction"
			st.Actions, err = parseActions(src, f.key, f.val)
		case "Resource", "NotResource":
			if haveResource {
				return st, src.errAt(f.off, "a statement has one of Resource and NotResource")
			}
			haveResource, st.NotRes = true, f.key == "NotResource"
			st.Resources, err = parseResources(src, f.key, f.val)
		case "Condition":
			st.Conds, err = parseConditions(src, f.val)
		case "Principal", "NotPrincipal":
			return st, src.errAt(f.off, "%s has no meaning here: these are user policies, attached to the user who signs", f.key)
		default:
			return st, src.errAt(f.off, "unknown statement field %q", f.key)
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case !haveEffect:
		return st, src.errAt(n.off, "the statement has no Effect")
	case !haveAction:
		return st, src.errAt(n.off, "the statement has no Action (or NotAction)")
	case !haveResource:
		return st, src.errAt(n.off, "the statement has no Resource (or NotResource)")
	}
	return st, nil
}

// strings reads a string or a non-empty list of strings.
func stringList(src source, name string, n *node) ([]*node, error) {
	list := []*node{n}
	if n.kind == 'a' {
		list = n.items
		if len(list) == 0 {
			return nil, src.errAt(n.off, "%s is an empty list", name)
		}
	}
	for _, it := range list {
		if it.kind != 's' {
			return nil, src.errAt(it.off, "%s must be a string or a list of strings, not %s", name, it.kindName())
		}
	}
	return list, nil
}

func parseActions(src source, name string, n *node) ([]string, error) {
	list, err := stringList(src, name, n)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range list {
		a := strings.ToLower(it.str)
		svc, op, ok := strings.Cut(a, ":")
		switch {
		case a == "*":
		case !ok || op == "" || (svc != "s3" && svc != "envelopegw"):
			return nil, src.errAt(it.off, "action %q: want \"s3:Name\" (wildcards * and ? allowed) or \"*\"", it.str)
		case strings.ContainsFunc(op, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '*' || r == '?' || r == '-')
		}):
			return nil, src.errAt(it.off, "action %q has characters an action name does not", it.str)
		}
		out = append(out, a)
	}
	return out, nil
}

// ARNPrefix starts every S3 resource name.
const ARNPrefix = "arn:aws:s3:::"

func parseResources(src source, name string, n *node) ([]string, error) {
	list, err := stringList(src, name, n)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range list {
		r := it.str
		switch {
		case r == "*":
		case !strings.HasPrefix(r, ARNPrefix) || len(r) == len(ARNPrefix):
			return nil, src.errAt(it.off, "resource %q: want \"arn:aws:s3:::bucket\", \"arn:aws:s3:::bucket/key\" (wildcards * and ? allowed) or \"*\"", r)
		case strings.Contains(r, "${"):
			return nil, src.errAt(it.off, "resource %q: policy variables are not supported", r)
		}
		out = append(out, r)
	}
	return out, nil
}

// describe is for tests and errors: "Allow s3:PutObject on ...".
func (st *Statement) String() string {
	return fmt.Sprintf("%s %v on %v", st.Effect, st.Actions, st.Resources)
}
