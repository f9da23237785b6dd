package mariadb_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"envelopegw/testharness"
	"envelopegw/testharness/mariadb"
)

// TestMariaDBIngestRole: a database host holding only an ingest user
// backs up a live MariaDB through xbcloud and the aws CLI; the same
// credentials can neither read nor delete nor overwrite those backups; a
// restore user restores both, and the restored databases match.
func TestMariaDBIngestRole(t *testing.T) {
	if _, err := exec.LookPath("mariadbd"); err != nil {
		t.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin")
	}
	for _, tool := range append(mariadb.Tools, "bash", "curl") {
		testharness.NeedTool(t, tool)
	}
	testharness.AWSPath(t)
	work := t.TempDir()
	src := filepath.Join(work, "source")
	mariadb.Install(t, src)
	db := mariadb.Start(t, src)
	db.Exec(fill)
	want := db.Checksums(tables)

	ingest := testharness.NewUser("db1", "ingest")
	ingest.Buckets = []string{"backups-db1"}
	restore := testharness.NewUser("dba", "restore")
	users := testharness.WriteUsersFile(t, filepath.Join(work, "users.json"), ingest, restore)
	g := testharness.Start(t, testharness.Options{Args: []string{"--users", users}})

	xbcloudBin := filepath.Join(work, "xbcloud")
	if out, err := exec.Command("go", "build", "-o", xbcloudBin, "envelopegw/testharness/xbcloud/cmd/xbcloud").CombinedOutput(); err != nil {
		t.Fatalf("build xbcloud: %v\n%s", err, out)
	}
	as := func(u testharness.User) (aws func(args ...string) string, xbcloud func(op string, extra ...string) string, env []string) {
		aws = func(args ...string) string { return shjoin(testharness.UserAWSCommand(t, g, u, args...).Args) }
		xbcloud = func(op string, extra ...string) string {
			return shjoin(append([]string{xbcloudBin, op, "--storage=s3", "--s3-endpoint=" + g.Endpoint,
				"--s3-access-key=" + u.AccessKey, "--s3-secret-key=" + u.SecretKey, "--s3-bucket=backups-db1", "--parallel=4"}, extra...))
		}
		return aws, xbcloud, testharness.UserAWSCommand(t, g, u).Env
	}
	iAWS, iXB, iEnv := as(ingest)
	rAWS, rXB, rEnv := as(restore)
	backup := shjoin(append(append([]string{"mariadb-backup", "--no-defaults", "--backup", "--stream=xbstream"},
		db.ClientArgs()...), "--target-dir="+filepath.Join(work, "backup-tmp")))

	if err := pipeline(t, iEnv, iAWS("s3", "mb", "s3://backups-db1")); err != nil {
		t.Fatal(err)
	}
	if err := pipeline(t, iEnv, backup+" | "+iAWS("s3", "cp", "-", "s3://backups-db1/full.xbstream")); err != nil {
		t.Fatalf("backup through aws s3 cp as ingest: %v", err)
	}
	if err := pipeline(t, iEnv, backup+" | "+iXB("put", "full-xb")); err != nil {
		t.Fatalf("backup through xbcloud put as ingest: %v", err)
	}

	// Ransomware on the database host, with its credentials.
	for _, attack := range []string{
		iAWS("s3", "cp", "s3://backups-db1/full.xbstream", "-") + " > /dev/null",
		iAWS("s3", "rm", "s3://backups-db1/full.xbstream"),
		iAWS("s3", "rm", "--recursive", "s3://backups-db1/full-xb/"),
		"head -c 1000000 /dev/urandom | " + iAWS("s3", "cp", "-", "s3://backups-db1/full.xbstream"),
		iXB("delete", "full-xb"),
		iXB("get", "full-xb") + " > /dev/null",
	} {
		if err := pipeline(t, iEnv, attack); err == nil {
			t.Errorf("as the ingest user this succeeded: %s", attack)
		}
	}

	for i, r := range []struct{ name, producer string }{
		{"aws s3 cp as restore", rAWS("s3", "cp", "s3://backups-db1/full.xbstream", "-")},
		{"xbcloud get as restore", rXB("get", "full-xb")},
	} {
		dir := filepath.Join(work, fmt.Sprintf("restore-%d", i))
		if err := pipeline(t, rEnv, fmt.Sprintf("mkdir -p %s\n%s | mbstream -x -C %s", shq(dir), r.producer, shq(dir))); err != nil {
			t.Fatalf("%s | mbstream -x: %v", r.name, err)
		}
		restoreAndCompare(t, r.name, dir, want)
	}
	if !g.AwaitLog("user=db1") || !g.AwaitLog("decision=deny") {
		t.Error("the refused attempts are not in the audit log")
	}
}
