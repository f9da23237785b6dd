package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"envelopegw/s3api"
)

func writeUsers(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestParseUsersErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{`{"users": [` + "\n" + `{"access_key": "AK1", "secret_key": "secret123", "polices": ["ingest"]}]}`, `u.json:2: unknown field "polices"`},
		{`{"users": [{"access_key": "AK1", "secret_key": "secret123", "policies": ["ingest"]},` + "\n" + `{"access_key": "AK1", "secret_key": "secret456", "policies": ["restore"]}]}`, "u.json:2: user 2: access key AK1 is defined twice"},
		{`{"users": [{"access_key": "AK1", "secret_key": "short", "policies": ["ingest"]}]}`, "u.json:1: user 1: the secret key of AK1"},
		{`{"users": [{"access_key": "AK1", "secret_key": "secret123"}]}`, "u.json:1: user 1: AK1 has no policies"},
		{`{"users": [{"access_key": "AK1", "secret_key": "secret123", "policies": ["root"]}]}`, `unknown canned policy "root"`},
		{`{"users": [{"access_key": "AK1", "secret_key": "secret123", "buckets": ["a"]}]}`, `"buckets" scopes canned policies`},
		{"{\"users\": [{\"access_key\": \"AK1\", \"secret_key\": \"secret123\",\n \"policy\": {\"Statement\":\n {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\", \"Principal\": \"*\"}}}]}", "u.json:3:80: Principal has no meaning"},
		{"{\"users\": [\n{\"access_key\": 7}]}", "u.json:2: cannot unmarshal number"},
		{"{\"users\": [\n{\"access_key\": \"AK1\",,}]}", "u.json:2: invalid character ','"},
		{`{"users": []} {}`, "unexpected text"},
		{`{}`, `no "users" list`},
	} {
		_, err := parseUsers("u.json", []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\n got %v\nwant ...%s...", c.text, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") && !strings.Contains(c.want, "secret") {
			t.Errorf("the error shows a secret: %v", err)
		}
	}
}

func TestUsersAuthorize(t *testing.T) {
	text := `{"users": [
	  {"name": "db1", "access_key": "BACKUPHOST1", "secret_key": "secret-one", "policies": ["ingest"], "buckets": ["backups-*"]},
	  {"access_key": "RESTORE1", "secret_key": "secret-two", "policies": ["restore"],
	   "policy": {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::backups-*/secret/*"}}}
	]}`
	dir := t.TempDir()
	path := filepath.Join(dir, "users.json")
	writeUsers(t, path, text, 0o600)
	tbl, err := newUserTable(credentials{"ADMIN1": "admin-secret"}, path)
	if err != nil {
		t.Fatal(err)
	}
	u := &users{}
	u.cur.Store(tbl)
	if sk, ok := u.SecretKey("RESTORE1"); !ok || sk != "secret-two" {
		t.Errorf("SecretKey(RESTORE1) = %q, %v", sk, ok)
	}
	ask := func(ak, action, bucket, key string, cond map[string]string) s3api.AuthzDecision {
		return u.Authorize(context.Background(), &s3api.AuthzRequest{AccessKey: ak, Action: action, Bucket: bucket, Key: key, Conditions: cond})
	}
	for _, c := range []struct {
		ak, action, bucket, key string
		cond                    map[string]string
		want                    bool
	}{
		{"BACKUPHOST1", "s3:PutObject", "backups-db1", "full", map[string]string{"s3:if-none-match": "*"}, true},
		{"BACKUPHOST1", "s3:PutObject", "backups-db1", "full", nil, false},
		{"BACKUPHOST1", "s3:PutObject", "other", "full", map[string]string{"s3:if-none-match": "*"}, false},
		{"BACKUPHOST1", "s3:GetObject", "backups-db1", "full", nil, false},
		{"BACKUPHOST1", "s3:DeleteObject", "backups-db1", "full", nil, false},
		{"RESTORE1", "s3:GetObject", "backups-db1", "full", nil, true},
		{"RESTORE1", "s3:GetObject", "backups-db1", "secret/k", nil, false},
		{"RESTORE1", "s3:PutObject", "backups-db1", "k", map[string]string{"s3:if-none-match": "*"}, false},
		{"ADMIN1", "s3:DeleteBucket", "x", "", nil, true},
		{"ADMIN1", s3api.ActionGetKeyIDs, "x", "k", nil, true},
		{"NOBODY", "s3:GetObject", "x", "k", nil, false},
	} {
		if d := ask(c.ak, c.action, c.bucket, c.key, c.cond); d.Allowed != c.want {
			t.Errorf("%s %s %s/%s %v: allowed %v (%s), want %v", c.ak, c.action, c.bucket, c.key, c.cond, d.Allowed, d.Reason, c.want)
		}
	}
	if d := ask("BACKUPHOST1", "s3:GetObject", "backups-db1", "k", nil); d.User != "db1" || d.Reason != "no statement allows it" {
		t.Errorf("decision %+v", d)
	}
	if d := ask("RESTORE1", "s3:GetObject", "backups-db1", "secret/k", nil); !strings.Contains(d.Reason, "Deny by "+path+" (inline policy of RESTORE1)") {
		t.Errorf("reason %q", d.Reason)
	}

	writeUsers(t, path, text, 0o644)
	if _, err := newUserTable(nil, path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a users file readable by others was accepted: %v", err)
	}
	if _, err := newUserTable(credentials{"RESTORE1": "whatever1"}, filepath.Join(dir, "x")); err == nil {
		t.Error("a missing users file was accepted")
	}
}
