package s3api

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// readResponse reads one response off br; it fails the test unless the
// status is want.
func readResponse(t *testing.T, br *bufio.Reader, r *http.Request, want int) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(br, r)
	if err != nil {
		t.Fatalf("reading the answer to %s %s: %v", r.Method, r.URL.Path, err)
	}
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: status %d, want %d (%s)", r.Method, r.URL.Path, resp.StatusCode, want, b)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// On a raw connection, a body-less request with "Expect: 100-continue"
// gets "100 Continue" before its final answer, as from S3, whether it
// succeeds or is refused; the connection then serves the next request.
// Without the 100, botocore misreads the next answer on the connection and
// stalls for 60 s (the aws CLI's sync of empty files).
func TestExpectContinueEmptyBody(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)

	send := func(r *http.Request) {
		t.Helper()
		if err := r.Write(conn); err != nil {
			t.Fatal(err)
		}
	}
	put := e.newRequest(req{method: "PUT", target: "/bkt/empty", header: map[string]string{"Expect": "100-continue"}})
	send(put)
	readResponse(t, br, put, http.StatusContinue)
	readResponse(t, br, put, http.StatusOK)

	// A refused one (unknown access key) gets its 100 too, then the 403.
	bad := e.newRequest(req{method: "PUT", target: "/bkt/empty2", header: map[string]string{"Expect": "100-continue"}})
	bad.Header.Set("Authorization", strings.Replace(bad.Header.Get("Authorization"), "Credential="+testAK, "Credential=NOSUCHKEY", 1))
	send(bad)
	readResponse(t, br, bad, http.StatusContinue)
	readResponse(t, br, bad, http.StatusForbidden)

	// A request with a body still gets its 100 only once authenticated,
	// and the same connection goes on working.
	full := e.newRequest(req{method: "PUT", target: "/bkt/full", body: []byte("data"), header: map[string]string{"Expect": "100-continue"}})
	if _, err := io.WriteString(conn, requestHead(t, full)); err != nil {
		t.Fatal(err)
	}
	readResponse(t, br, full, http.StatusContinue)
	io.WriteString(conn, "data")
	readResponse(t, br, full, http.StatusOK)

	get := e.newRequest(req{method: "GET", target: "/bkt/empty"})
	send(get)
	if resp := readResponse(t, br, get, http.StatusOK); resp.ContentLength != 0 {
		t.Errorf("GET of the empty object: Content-Length %d", resp.ContentLength)
	}
}

// requestHead is the request line and headers of r as it would go on the
// wire, without the body.
func requestHead(t *testing.T, r *http.Request) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(r.Method + " " + r.URL.RequestURI() + " HTTP/1.1\r\nHost: " + r.Host + "\r\n")
	if err := r.Header.Write(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString("Content-Length: " + itoa(r.ContentLength) + "\r\n\r\n")
	return b.String()
}
