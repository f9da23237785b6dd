package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"envelopegw/policy"
	"envelopegw/s3api"
)

// A users file gives each user an access key, a secret and policies:
//
//	{"users": [
//	  {"access_key": "BACKUPHOST1", "secret_key": "...", "policies": ["ingest"],
//	   "buckets": ["backups-*"]},
//	  {"name": "restore", "access_key": "RESTORE1", "secret_key": "...",
//	   "policies": ["restore"], "policy": {"Version": "2012-10-17", "Statement": [...]}}
//	]}
//
// "policies" names canned policies (package policy), scoped to the bucket
// patterns in "buckets" (default: every bucket); "policy" is an inline
// IAM document; all of them apply together. "name" is for the logs
// (default: the access key). Users from --credentials, ENVELOPEGW_ACCESS_KEY
// and the development credentials are admins.

// user is one entry of the users table.
type user struct {
	name, accessKey, secret string
	policies                []*policy.Policy
}

// userTable is one loaded configuration; it is replaced whole on reload.
type userTable struct {
	byKey map[string]*user
}

// users implements auth.Credentials and s3api.Authorizer over the current
// table, which a reload swaps atomically: requests in flight keep the
// table they started with.
type users struct {
	cur atomic.Pointer[userTable]
}

func (u *users) SecretKey(accessKey string) (string, bool) {
	x, ok := u.cur.Load().byKey[accessKey]
	if !ok {
		return "", false
	}
	return x.secret, true
}

// Authorize evaluates the request against the user's policies.
func (u *users) Authorize(_ context.Context, q *s3api.AuthzRequest) s3api.AuthzDecision {
	x, ok := u.cur.Load().byKey[q.AccessKey]
	if !ok {
		// Removed by a reload after the signature was checked.
		return s3api.AuthzDecision{User: q.AccessKey, Reason: "no such user (any more)"}
	}
	res := "*"
	switch {
	case q.Key != "":
		res = policy.ObjectARN(q.Bucket, q.Key)
	case q.Bucket != "":
		res = policy.BucketARN(q.Bucket)
	}
	ctx := q.Conditions
	if ctx == nil {
		ctx = map[string]string{}
	}
	ctx["aws:username"] = x.name
	d := policy.Evaluate(x.policies, &policy.Request{Action: q.Action, Resource: res, Context: ctx})
	reason := "no statement allows it"
	if d.Effect != policy.NotApplicable {
		reason = fmt.Sprintf("%s by %s", d.Effect, d.Policy)
		if d.Sid != "" {
			reason += " statement " + d.Sid
		}
	}
	return s3api.AuthzDecision{Allowed: d.Allowed(), Deny: d.Effect == policy.Deny, User: x.name, Reason: reason}
}

// KnownPrincipal implements s3api.PrincipalResolver: a bucket policy's
// principal names a user by access key or by name.
func (u *users) KnownPrincipal(name string) bool {
	t := u.cur.Load()
	if _, ok := t.byKey[name]; ok {
		return true
	}
	for _, x := range t.byKey {
		if x.name == name {
			return true
		}
	}
	return false
}

// accessKeys lists the access keys, sorted, for the startup log.
func (t *userTable) accessKeys() []string {
	ks := make([]string, 0, len(t.byKey))
	for k := range t.byKey {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// newUserTable builds the table from the admins (access key to secret)
// and the users file at path ("" for none).
func newUserTable(admins credentials, path string) (*userTable, error) {
	t := &userTable{byKey: map[string]*user{}}
	admin, _, err := policy.Canned("admin", nil)
	if err != nil {
		return nil, err
	}
	for ak, sk := range admins {
		t.byKey[ak] = &user{name: ak, accessKey: ak, secret: sk, policies: []*policy.Policy{admin}}
	}
	if path == "" {
		return t, nil
	}
	text, err := readPrivateFile(path)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	list, err := parseUsers(path, text)
	if err != nil {
		return nil, err
	}
	for _, x := range list {
		if _, dup := t.byKey[x.accessKey]; dup {
			return nil, fmt.Errorf("%s: access key %s is also given by --credentials or %sACCESS_KEY", path, x.accessKey, envPrefix)
		}
		t.byKey[x.accessKey] = x
	}
	return t, nil
}

// userEntry is one user as written in the file.
type userEntry struct {
	Name      string          `json:"name"`
	AccessKey string          `json:"access_key"`
	SecretKey string          `json:"secret_key"`
	Policies  []string        `json:"policies"`
	Buckets   []string        `json:"buckets"`
	Policy    json.RawMessage `json:"policy"`
}

// parseUsers parses a users file. Errors name the file and line, never a
// secret.
func parseUsers(file string, text []byte) ([]*user, error) {
	var top struct {
		Users []json.RawMessage `json:"users"`
	}
	if err := strictJSON(text, &top); err != nil {
		return nil, jsonErr(file, text, 0, err)
	}
	if top.Users == nil {
		return nil, fmt.Errorf("%s: no \"users\" list", file)
	}
	var out []*user
	seen := map[string]bool{}
	pos := 0
	for i, raw := range top.Users {
		off := pos + bytes.Index(text[pos:], raw)
		pos = off + len(raw)
		line, _ := policy.Position(text, off)
		at := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: user %d: %s", file, line, i+1, fmt.Sprintf(format, args...))
		}
		var e userEntry
		if err := strictJSON(raw, &e); err != nil {
			return nil, jsonErr(file, text, off, err)
		}
		if err := checkCredential(e.AccessKey, e.SecretKey); err != nil {
			return nil, at("%v", err)
		}
		if seen[e.AccessKey] {
			return nil, at("access key %s is defined twice", e.AccessKey)
		}
		seen[e.AccessKey] = true
		x := &user{name: e.Name, accessKey: e.AccessKey, secret: e.SecretKey}
		if x.name == "" {
			x.name = e.AccessKey
		}
		for _, name := range e.Policies {
			p, _, err := policy.Canned(name, e.Buckets)
			if err != nil {
				return nil, at("%v", err)
			}
			x.policies = append(x.policies, p)
		}
		if len(e.Buckets) > 0 && len(e.Policies) == 0 {
			return nil, at("\"buckets\" scopes canned policies, and there are none")
		}
		if len(e.Policy) > 0 && !bytes.Equal(e.Policy, []byte("null")) {
			start := off + bytes.Index(raw, e.Policy)
			p, err := policy.ParseEmbedded(file, text, start, start+len(e.Policy))
			if err != nil {
				return nil, err
			}
			p.Name = fmt.Sprintf("%s (inline policy of %s)", file, x.name)
			x.policies = append(x.policies, p)
		}
		if len(x.policies) == 0 {
			return nil, at("%s has no policies: it could do nothing (canned: %s)", x.name, strings.Join(policy.CannedNames, ", "))
		}
		out = append(out, x)
	}
	return out, nil
}

// strictJSON decodes one JSON value, refusing unknown fields and trailing
// text.
func strictJSON(text []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(text))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("unexpected text after the JSON document")
	}
	return nil
}

// jsonErr places a decoding error of text[base:] in the file.
func jsonErr(file string, text []byte, base int, err error) error {
	off := base
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off += int(se.Offset)
	case errors.As(err, &te):
		off += int(te.Offset)
	}
	line, _ := policy.Position(text, off)
	msg := err.Error()
	if strings.HasPrefix(msg, "json: ") {
		msg = strings.TrimPrefix(msg, "json: ")
	}
	return fmt.Errorf("%s:%d: %s", file, line, msg)
}

// loadUsers builds the users table from the configuration: the admins
// (the credentials file, read again on every load, the environment's
// user, the development credentials) and the users file. On reload it is
// called again; an error leaves the running table in place.
func (s *server) loadUsers() (*users, error) {
	admins, err := s.cfg.loadCredentials()
	if err != nil {
		return nil, err
	}
	if s.devAK != "" {
		admins[s.devAK] = s.devSK
	}
	t, err := newUserTable(admins, s.cfg.users)
	if err != nil {
		return nil, err
	}
	u := &users{}
	u.cur.Store(t)
	return u, nil
}
