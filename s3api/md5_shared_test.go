package s3api

import (
	"crypto/md5"
	"fmt"
	"net/http"
	"testing"

	"envelopegw/s3api/md5pool"
)

// TestSharedMD5Bounded: the process-wide MD5 source does not keep every
// request's hasher. Before, one md5-simd server served the whole process
// and walked every hasher it had ever handed out on each cycle, so the
// CPU per byte grew with the requests served. Now, after many PUTs, the
// current server has handed out at most md5pool.DefaultPerServer hashers
// and the retired ones are closed.
func TestSharedMD5Bounded(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	const n = 3*md5pool.DefaultPerServer + 5
	// DefaultMinConcurrent-1 bodies held open make every PUT's hasher the
	// one md5pool takes from md5-simd (fewer get crypto/md5).
	for range md5pool.DefaultMinConcurrent - 1 {
		h := sharedMD5().NewHash()
		defer h.Close()
	}
	before := sharedMD5().Stats()
	for i := range n {
		body := []byte(fmt.Sprintf("object %d", i))
		w, _ := e.do(req{method: "PUT", target: fmt.Sprintf("/bkt/k%d", i), body: body,
			header: map[string]string{"Content-MD5": b64md5(body)}})
		if w.Code != http.StatusOK {
			t.Fatalf("PUT %d: %d %s", i, w.Code, w.Body)
		}
		if got, want := w.Header().Get("ETag"), fmt.Sprintf("%q", fmt.Sprintf("%x", md5.Sum(body))); got != want {
			t.Fatalf("PUT %d: ETag %s, want %s", i, got, want)
		}
	}
	st := sharedMD5().Stats()
	if st.CurrentIssued > md5pool.DefaultPerServer {
		t.Errorf("the current MD5 server has handed out %d hashers, more than %d", st.CurrentIssued, md5pool.DefaultPerServer)
	}
	if st.Started-before.Started < 3 {
		t.Errorf("%d PUTs started %d MD5 servers, want a fresh one every %d", n, st.Started-before.Started, md5pool.DefaultPerServer)
	}
	if st.Live != 1 {
		t.Errorf("%d MD5 servers live after the requests ended, want 1 (retired ones closed)", st.Live)
	}
}
