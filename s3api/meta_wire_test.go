package s3api

import "testing"

// Content-Encoding values are stored and returned joined with ", ", as S3
// answers them; stray spaces do not change that, and
// aws-chunked (a transfer detail) is dropped.
func TestContentEncodingJoined(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "enc", []byte("x"), map[string]string{"Content-Encoding": "deflate,gzip ,  br"})
	for _, m := range []string{"GET", "HEAD"} {
		w := e.ok(req{method: m, target: "/bkt/enc"}, 200)
		if got := w.Header().Values("Content-Encoding"); len(got) != 1 || got[0] != "deflate, gzip, br" {
			t.Errorf("%s Content-Encoding = %q, want [\"deflate, gzip, br\"]", m, got)
		}
	}
}
