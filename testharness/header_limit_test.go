package testharness

import (
	"net/http"
	"strings"
	"testing"
)

// TestHeaderSectionLimit: S3 bounds the request header section at 8 KiB
// and says so in MaxSizeAllowed; a request under it is served.
func TestHeaderSectionLimit(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	under := http.Header{"X-Custom-Header": {strings.Repeat("d", 6<<10)}}
	resp, body := rawDo(t, g, signed(t, g, http.MethodPut, "/"+b+"/k", nil, []byte("x"), "", under))
	if resp.StatusCode != 200 {
		t.Fatalf("6 KiB header: %d %s", resp.StatusCode, body)
	}
	over := http.Header{"X-Custom-Header": {strings.Repeat("d", 8<<10)}}
	resp, body = rawDo(t, g, signed(t, g, http.MethodPut, "/"+b+"/k", nil, []byte("x"), "", over))
	wantBody(t, "8 KiB header", resp, body, 400, "RequestHeaderSectionTooLarge",
		"Your request header section exceeds the maximum allowed size.", "<MaxSizeAllowed>8192</MaxSizeAllowed>")
}
