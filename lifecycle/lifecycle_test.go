package lifecycle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func rules(s string) string {
	return `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + s + `</LifecycleConfiguration>`
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, code string }{
		{"not xml", "<Lifecycle", "MalformedXML"},
		{"no rules", rules(""), "MalformedXML"},
		{"bad status", rules(`<Rule><Filter/><Status>On</Status><Expiration><Days>1</Days></Expiration></Rule>`), "MalformedXML"},
		{"filter and prefix", rules(`<Rule><Filter/><Prefix>a</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), "MalformedXML"},
		{"neither filter nor prefix", rules(`<Rule><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), "MalformedXML"},
		{"no action", rules(`<Rule><Filter/><Status>Enabled</Status></Rule>`), "InvalidRequest"},
		{"zero days", rules(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>`), "InvalidArgument"},
		{"days and date", rules(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule>`), "MalformedXML"},
		{"empty expiration", rules(`<Rule><Filter/><Status>Enabled</Status><Expiration></Expiration></Rule>`), "MalformedXML"},
		{"date not midnight", rules(`<Rule><Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01T10:00:00Z</Date></Expiration></Rule>`), "InvalidArgument"},
		{"date garbage", rules(`<Rule><Filter/><Status>Enabled</Status><Expiration><Date>tomorrow</Date></Expiration></Rule>`), "InvalidArgument"},
		{"noncurrent no days", rules(`<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration></NoncurrentVersionExpiration></Rule>`), "MalformedXML"},
		{"noncurrent zero", rules(`<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration></Rule>`), "InvalidArgument"},
		{"newer too many", rules(`<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>`), "InvalidArgument"},
		{"abort zero", rules(`<Rule><Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`), "InvalidArgument"},
		{"duplicate id", rules(`<Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule><Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>`), "InvalidArgument"},
		{"long id", rules(`<Rule><ID>` + strings.Repeat("i", 256) + `</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), "InvalidArgument"},
		{"tag filter", rules(`<Rule><Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), "NotImplemented"},
		{"transition", rules(`<Rule><Filter/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>`), "NotImplemented"},
	} {
		_, err := Parse([]byte(tc.body))
		var le *Error
		if !errors.As(err, &le) || le.Code != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	body := rules(`<Rule><ID>keep30</ID><Filter><Prefix>backups/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>` +
		`<Rule><Prefix>old/</Prefix><Status>Disabled</Status><Expiration><Date>2027-01-01T00:00:00.000Z</Date></Expiration></Rule>`)
	c, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules[1].ID == "" {
		t.Error("a rule without an ID got none")
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Parse(out)
	if err != nil {
		t.Fatalf("reparse %s: %v", out, err)
	}
	if c2.Rules[0].KeyPrefix() != "backups/" || c2.Rules[1].KeyPrefix() != "old/" || c2.Rules[1].ID != c.Rules[1].ID ||
		*c2.Rules[0].Expiration.Days != 30 || *c2.Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation != 2 {
		t.Errorf("round trip changed the configuration:\n%s", out)
	}
	if !strings.Contains(string(out), `xmlns="`+Namespace+`"`) {
		t.Errorf("no namespace: %s", out)
	}
}

func TestDue(t *testing.T) {
	c, err := Parse([]byte(rules(`<Rule><ID>d1</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>` +
		`<Rule><ID>off</ID><Filter><Prefix></Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>` +
		`<Rule><ID>date</ID><Filter><Prefix>b/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration></Rule>`)))
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	due := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC) // 10:00 + 1 day, up to midnight
	if _, ok := c.ObjectDue("a/x", created, due.Add(-time.Nanosecond)); ok {
		t.Error("due before the next midnight after a day")
	}
	if id, ok := c.ObjectDue("a/x", created, due); !ok || id != "d1" {
		t.Errorf("not due at %v: %q %v", due, id, ok)
	}
	if _, ok := c.ObjectDue("z/x", created, due.Add(1000*day)); ok {
		t.Error("a key outside every enabled rule is due")
	}
	if _, ok := c.ObjectDue("b/x", created, time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)); ok {
		t.Error("date rule due early")
	}
	if id, ok := c.ObjectDue("b/x", created, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); !ok || id != "date" {
		t.Error("date rule not due on its date")
	}
	if _, ok := c.UploadDue("a/u", created, time.Date(2026, 12, 4, 23, 59, 0, 0, time.UTC)); ok {
		t.Error("upload due early")
	}
	if _, ok := c.UploadDue("a/u", created, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)); !ok {
		t.Error("upload not due")
	}
	if _, ok := c.NoncurrentDue("a/v", created, 0, due.Add(10*day)); ok {
		t.Error("the newest noncurrent version is due though 1 is kept")
	}
	if _, ok := c.NoncurrentDue("a/v", created, 1, time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)); !ok {
		t.Error("an older noncurrent version is not due")
	}
}
