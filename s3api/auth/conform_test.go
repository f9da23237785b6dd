package auth

import (
	"errors"
	"testing"
	"time"
)

// botocore's SigV2 signer sends Date as RFC 1123 with a numeric zone
// ("-0000", from email.utils.formatdate) and signs a path-style bucket
// request "/bucket" as "/bucket/"; both verify, and "/bucket/" does not
// stretch to any other resource.
func TestV2BotocoreForms(t *testing.T) {
	now := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	date := now.Format("Mon, 02 Jan 2006 15:04:05") + " -0000"
	sig := signV2ForTest(exampleSecret, "PUT\n\n\n"+date+"\n/mybucket/")
	ok := wire(t, "PUT /mybucket HTTP/1.1\nHost: 127.0.0.1:9000\nDate: "+date+"\nAuthorization: AWS "+exampleAK+":"+sig)
	if _, err := Verify(ok, exampleKeys, now); err != nil {
		t.Fatalf("/mybucket signed as /mybucket/ with Date %q: %v", date, err)
	}
	for _, target := range []string{"/mybucket/k", "/other", "/mybucket/?acl"} {
		r := wire(t, "PUT "+target+" HTTP/1.1\nHost: 127.0.0.1:9000\nDate: "+date+"\nAuthorization: AWS "+exampleAK+":"+sig)
		if _, err := Verify(r, exampleKeys, now); !errors.Is(err, ErrSignatureDoesNotMatch) {
			t.Errorf("signature of PUT /mybucket/ used for PUT %s: %v", target, err)
		}
	}
}
