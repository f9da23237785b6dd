package testharness

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
)

// TestRouteShapeErrorFields checks the extra elements of the answers to
// requests no operation takes, over raw HTTP (no SDK sends these shapes),
// signed and anonymous alike: PUT ?partNumber without uploadId names
// "partNumber" as both ArgumentName and ArgumentValue, as S3 does;
// MethodNotAllowed names the method and the kind of resource (a POST to
// an object is OBJECT, to the service SERVICE).
func TestRouteShapeErrorFields(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	for _, tc := range []struct {
		method, path string
		query        url.Values
		status       int
		want         []string
	}{
		{"PUT", "/" + b + "/k", url.Values{"partNumber": {"7"}}, 400, []string{
			"<Code>InvalidArgument</Code><Message>This operation does not accept partNumber without uploadId</Message>",
			"<ArgumentName>partNumber</ArgumentName><ArgumentValue>partNumber</ArgumentValue>"}},
		{"POST", "/" + b + "/k", nil, 405, []string{"<Code>MethodNotAllowed</Code>", "<Method>POST</Method><ResourceType>OBJECT</ResourceType>"}},
		{"POST", "/", nil, 405, []string{"<Code>MethodNotAllowed</Code>", "<Method>POST</Method><ResourceType>SERVICE</ResourceType>"}},
	} {
		anon, err := http.NewRequest(tc.method, g.Endpoint+tc.path+"?"+tc.query.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range []*http.Request{signed(t, g, tc.method, tc.path, tc.query, nil, "", nil), anon} {
			resp, body := rawDo(t, g, req)
			ok := resp.StatusCode == tc.status
			for _, w := range tc.want {
				ok = ok && bytes.Contains(body, []byte(w))
			}
			if !ok {
				t.Errorf("%s %s?%s (signed %v): %d %s, want %d with %q", tc.method, tc.path, tc.query.Encode(),
					req.Header.Get("Authorization") != "", resp.StatusCode, body, tc.status, tc.want)
			}
		}
	}
}
