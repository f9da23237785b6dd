package mariadb_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"envelopegw/backend/s3/s3test"
	"envelopegw/testharness"
	"envelopegw/testharness/mariadb"
)

// TestMariaDBBackupUpstream: one backup and restore round trip through a
// gateway with --upstream on a MinIO cluster: mariadb-backup streamed
// into aws s3 cp (a multipart upload of unknown length), restored with
// aws s3 cp and with envelopegw cat --upstream (no server), both datadirs
// checked against the source's table checksums.
func TestMariaDBBackupUpstream(t *testing.T) {
	if _, err := exec.LookPath("mariadbd"); err != nil {
		t.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin")
	}
	for _, tool := range append(mariadb.Tools, "bash") {
		testharness.NeedTool(t, tool)
	}
	testharness.AWSPath(t)
	work := t.TempDir()
	src := filepath.Join(work, "source")
	mariadb.Install(t, src)
	db := mariadb.Start(t, src)
	db.Exec(fill)
	want := db.Checksums(tables)

	g := testharness.Start(t, testharness.Options{NoFsync: true, Upstream: s3test.SharedMinIO(t)})
	awsCmd := func(args ...string) string { return shjoin(testharness.AWSCommand(t, g, args...).Args) }
	env := append(testharness.AWSCommand(t, g).Env, g.UpstreamEnv()...)
	backup := shjoin(append(append([]string{"mariadb-backup", "--no-defaults", "--backup", "--stream=xbstream"},
		db.ClientArgs()...), "--target-dir="+filepath.Join(work, "backup-tmp")))
	if err := pipeline(t, env, awsCmd("s3", "mb", "s3://backups")); err != nil {
		t.Fatal(err)
	}
	if err := pipeline(t, env, backup+" | "+awsCmd("s3", "cp", "-", "s3://backups/full.xbstream")); err != nil {
		t.Fatalf("backup through aws s3 cp: %v", err)
	}
	cat := shjoin([]string{testharness.Binary(t), "cat", "--upstream", g.UpstreamURL(), "--upstream-style", "path",
		"--signer", g.SignerFile, "-i", g.IdentityFile, "backups/full.xbstream"})
	for _, r := range []struct{ name, producer string }{
		{"aws s3 cp", awsCmd("s3", "cp", "s3://backups/full.xbstream", "-")},
		{"envelopegw cat --upstream", cat},
	} {
		dir := filepath.Join(work, "restore-"+r.name[:3])
		if err := pipeline(t, env, "mkdir -p "+shq(dir)+"\n"+r.producer+" | mbstream -x -C "+shq(dir)); err != nil {
			t.Fatalf("%s | mbstream -x: %v", r.name, err)
		}
		restoreAndCompare(t, r.name, dir, want)
	}
}
