package testharness

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"envelopegw/backend/posix"
)

type inventoryVersionRow struct {
	Key, Version, Error string
	Latest              bool
}

// inventoryVersions runs `inventory --json` and decodes its rows.
func inventoryVersions(t *testing.T, g *Gateway, wantOK bool, args ...string) []inventoryVersionRow {
	t.Helper()
	args = append([]string{"--data", g.DataDir, "--signer", g.SignerFile, "--json"}, args...)
	out, ok := runInventory(t, args...)
	if ok != wantOK {
		t.Fatalf("inventory exited ok=%v, want %v:\n%s", ok, wantOK, out)
	}
	var doc struct {
		Objects []inventoryVersionRow
		Totals  []struct {
			Prefix  string
			Objects int64
		}
	}
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Objects
}

// TestInventoryListsVersions: every version of a versioned bucket is a
// backup, so `inventory` lists the noncurrent ones too, under their key,
// with the version IDs ListObjectVersions gives, newest first, and leaves
// delete markers out; --current-only lists the current versions; an
// archived version's files copied over another key's archived version are
// listed with an error and exit 1.
func TestInventoryListsVersions(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := "backups-inv-versions"
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	for i, k := range []string{"day1/chunk", "day1/chunk", "day1/chunk", "day2/chunk"} {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String(k), Body: strings.NewReader(strings.Repeat("x", i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("day2/chunk")}); err != nil {
		t.Fatal(err)
	}
	lv, err := c.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.DeleteMarkers) != 1 {
		t.Fatalf("ListObjectVersions: %d delete markers, want 1", len(lv.DeleteMarkers))
	}
	var want []inventoryVersionRow
	for _, v := range lv.Versions {
		want = append(want, inventoryVersionRow{Key: aws.ToString(v.Key), Version: aws.ToString(v.VersionId), Latest: aws.ToBool(v.IsLatest)})
	}
	if len(want) != 4 {
		t.Fatalf("ListObjectVersions: %d versions, want 4", len(want))
	}
	stateKey := filepath.Join(g.DataDir, ".envelopegw", "state.key")

	got := inventoryVersions(t, g, true, "--state-key", stateKey, b)
	if len(got) != len(want) {
		t.Fatalf("inventory listed %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Without the state key a noncurrent version's ID still comes from its
	// name; the current one's is sealed.
	got = inventoryVersions(t, g, true, b)
	for i := range want {
		w := want[i]
		if w.Latest {
			w.Version = ""
		}
		if i >= len(got) || got[i] != w {
			t.Errorf("without the state key, row %d: %+v, want %+v", i, got, w)
		}
	}
	cur := inventoryVersions(t, g, true, "--current-only", "--state-key", stateKey, b)
	if len(cur) != 1 || cur[0] != want[0] {
		t.Errorf("--current-only listed %+v, want only %+v", cur, want[0])
	}

	csvOut, ok := runInventory(t, "--data", g.DataDir, "--signer", g.SignerFile, "--csv", b)
	if lines := strings.Split(strings.TrimSpace(csvOut), "\n"); !ok || len(lines) != 5 || !strings.HasPrefix(lines[0], "key,version,latest,") ||
		!strings.HasPrefix(lines[1], "day1/chunk,,true,") || !strings.HasPrefix(lines[2], "day1/chunk,"+want[1].Version+",false,") {
		t.Errorf("--csv listed:\n%s", csvOut)
	}

	be0, err := posix.New(g.DataDir, posix.Options{NoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	archive := func(r inventoryVersionRow) string { return "\x00v" + r.Key + "\x00" + r.Version }
	// Behind the gateway's back, within one key: the oldest version's files
	// in place of the middle one. The record names the right key, so only
	// the sealed version ID (the state key) tells.
	middle := rawRead(t, be0, b, archive(want[1]))
	rawWrite(t, be0, b, archive(want[1]), rawRead(t, be0, b, archive(want[2])))
	if got := inventoryVersions(t, g, false, "--state-key", stateKey, b); len(got) != 4 || got[1].Error == "" || got[0].Error+got[2].Error+got[3].Error != "" {
		t.Errorf("a version swapped within its key: listed %+v, want an error on row 1 only", got)
	}
	rawWrite(t, be0, b, archive(want[1]), middle)

	// Behind the gateway's back: day1/chunk's oldest version put in place
	// of day2/chunk's (noncurrent) version.
	rawWrite(t, be0, b, archive(want[3]), rawRead(t, be0, b, archive(want[2])))
	for _, args := range [][]string{{b}, {"--state-key", stateKey, b}} {
		got = inventoryVersions(t, g, false, args...)
		if len(got) != 4 {
			t.Fatalf("tampered: listed %+v, want 4 versions", got)
		}
		for i, r := range got {
			if bad := i == 3; (r.Error != "") != bad || r.Key != want[i].Key {
				t.Errorf("tampered, row %d: %+v, want key %s with an error: %v", i, r, want[i].Key, bad)
			}
		}
	}
}
