package xbcloud

import (
	"net/http"
	"testing"
	"time"
)

// The example from the AWS SigV4 documentation for S3 ("GET Object").
func TestSignV4KnownAnswer(t *testing.T) {
	h := http.Header{}
	h.Set("Range", "bytes=0-9")
	h.Set("X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	now := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	signV4(h, "GET", "examplebucket.s3.amazonaws.com", "/test.txt", "", "us-east-1",
		"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", now)
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := h.Get("Authorization"); got != want {
		t.Errorf("Authorization:\n got %s\nwant %s", got, want)
	}
}

// The example from the AWS SigV2 documentation ("Object GET").
func TestSignV2KnownAnswer(t *testing.T) {
	h := http.Header{}
	signV2(h, "GET", "/johnsmith/photos/puppy.jpg", "AKIAIOSFODNN7EXAMPLE",
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "Tue, 27 Mar 2007 19:36:42 +0000")
	if got, want := h.Get("Authorization"), "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU="; got != want {
		t.Errorf("Authorization: got %s, want %s", got, want)
	}
}

func TestCurlEscape(t *testing.T) {
	for in, want := range map[string]string{
		"shop/order@0020items.ibd.00000000000000000000": "shop/order%400020items.ibd.00000000000000000000",
		"a b+c/é~_-.": "a%20b%2Bc/%C3%A9~_-.",
		"x#p#p0":      "x%23p%23p0",
	} {
		if got := escapePath(in); got != want {
			t.Errorf("escapePath(%q) = %q, want %q", in, got, want)
		}
	}
	if got := (query{{"prefix", "n/"}, {"max-keys", "1000"}, {"marker", "n/a b"}}).encode(); got != "marker=n%2Fa%20b&max-keys=1000&prefix=n%2F" {
		t.Errorf("query encode: %s", got)
	}
}
