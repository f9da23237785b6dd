package s3api

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log sink the server goroutines and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds or the wait passes.
func waitFor(t *testing.T, wait time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("after %s: %s", wait, what)
}

// stallServer serves e's handler over real connections with the given
// stall timeout, logging into the returned buffer.
func stallServer(t *testing.T, stall time.Duration) (*testEnv, *httptest.Server, *lockedBuffer) {
	logs := &lockedBuffer{}
	e := newEnv(t, func(c *Config) {
		c.StallTimeout = stall
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	e.mkBucket("bkt")
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	return e, srv, logs
}

// rawHead writes r's request line and headers, declaring Content-Length
// n, and then body (possibly fewer than n bytes) on a new connection.
func rawHead(t *testing.T, srv *httptest.Server, r *http.Request, n int, body []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", r.Method, r.URL.RequestURI(), r.Host, n)
	r.Header.Del("Content-Length")
	r.Header.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	if _, err := c.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAnswer reads one response from c and then expects the server to
// close c; both within wait.
func readAnswer(t *testing.T, c net.Conn, wait time.Duration) *http.Response {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer within %s: %v", wait, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed by the server after the answer (%d %s): %v", resp.StatusCode, body, err)
	}
	return resp
}

// A client that sends headers announcing a body and then nothing is
// refused by auth at once, and its connection closed: before, the 403 was
// never written because net/http first waited to discard the body. The
// stall timeout is long here, so it is not what ends the request.
func TestStalledBodyUnauthenticated(t *testing.T) {
	e, srv, _ := stallServer(t, time.Hour)
	r := e.newRequest(req{method: "PUT", target: srv.URL + "/bkt/k", unsigned: true, host: srv.Listener.Addr().String()})
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=NOPE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	c := rawHead(t, srv, r, 1000, nil)
	resp := readAnswer(t, c, 5*time.Second)
	if resp.StatusCode != 403 && resp.StatusCode != 400 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !resp.Close { // http.ReadResponse turns "Connection: close" into Close
		t.Errorf("refusal without Connection: close: %v", resp.Header)
	}
}

// An authenticated PUT whose body stops arriving is ended with 400
// RequestTimeout after the stall timeout, and its connection closed; the
// log names the limit.
func TestStalledBodyAuthenticated(t *testing.T) {
	e, srv, logs := stallServer(t, 300*time.Millisecond)
	r := e.newRequest(req{method: "PUT", target: srv.URL + "/bkt/k", body: bytes.Repeat([]byte("a"), 1000), payloadHash: "UNSIGNED-PAYLOAD", host: srv.Listener.Addr().String()})
	c := rawHead(t, srv, r, 1000, []byte("0123456789"))
	resp := readAnswer(t, c, 10*time.Second)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !bytes.Contains(body, []byte("<Code>RequestTimeout</Code>")) {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if _, ok := e.svc.buckets["bkt"].objects["k"]; ok {
		t.Error("the stalled object was stored")
	}
	waitFor(t, 5*time.Second, "log names the limit", func() bool {
		return strings.Contains(logs.String(), "stall-timeout") && strings.Contains(logs.String(), "error=RequestTimeout")
	})
}

// The stall timeout is an idle deadline: a body that trickles in, taking
// far longer than the timeout in total, still succeeds.
func TestSlowBodyIsNotStalled(t *testing.T) {
	e, srv, _ := stallServer(t, time.Second)
	data := bytes.Repeat([]byte("s"), 20)
	r := e.newRequest(req{method: "PUT", target: srv.URL + "/bkt/slow", body: data, payloadHash: "UNSIGNED-PAYLOAD", host: srv.Listener.Addr().String()})
	c := rawHead(t, srv, r, len(data), nil)
	for i := range data { // 20 × 100 ms = 2 s, twice the timeout (pauses a tenth of it: loaded CI machines)
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write(data[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if resp.Close {
		t.Error("a complete request closed its connection")
	}
}

// waitingService blocks ListBuckets until the request's context ends, as a
// slow backend call would when the client hangs up.
type waitingService struct{ *fakeService }

func (w waitingService) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("listing buckets: %w", ctx.Err())
}

// A request whose client goes away is logged as 499 with its cause, not
// as a 500 InternalError.
func TestClientGoneIs499(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnv(t, func(c *Config) {
		c.Service = waitingService{newFakeService()}
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	r := e.newRequest(req{method: "GET", target: srv.URL + "/", host: srv.Listener.Addr().String()})
	c := rawHead(t, srv, r, 0, nil)
	time.Sleep(100 * time.Millisecond)
	c.Close()
	waitFor(t, 5*time.Second, "request logged", func() bool { return strings.Contains(logs.String(), "op=ListBuckets") })
	l := logs.String()
	if !strings.Contains(l, "status=499") || !strings.Contains(l, "error=RequestCanceled") || !strings.Contains(l, "context canceled") {
		t.Fatalf("log line:\n%s", l)
	}
	if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
		t.Errorf("client leaving logged as a server problem:\n%s", l)
	}
}

// An authenticated request answered before its body was read (here: an
// SSE-C header, refused as NotImplemented) keeps its connection when the small body has arrived, as
// net/http does when it may drain it, so a client still writing the body
// reads the answer; when the body does not come, the connection closes
// after a short grace instead of waiting for it.
func TestEarlyAnswerDrainsOrCloses(t *testing.T) {
	e, srv, _ := stallServer(t, time.Hour)
	body := bytes.Repeat([]byte("b"), 1000)
	ssec := map[string]string{"x-amz-server-side-encryption-customer-algorithm": "AES256"}
	r := e.newRequest(req{method: "PUT", target: srv.URL + "/bkt/k", body: body, payloadHash: "UNSIGNED-PAYLOAD", header: ssec, host: srv.Listener.Addr().String()})
	c := rawHead(t, srv, r, len(body), body)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 501 || resp.Close {
		t.Fatalf("status %d, close %v: want 501 on a kept connection", resp.StatusCode, resp.Close)
	}
	// The connection serves the next request.
	r2 := e.newRequest(req{method: "GET", target: srv.URL + "/", host: srv.Listener.Addr().String()})
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET / HTTP/1.1\r\nHost: %s\r\n", r2.Host)
	r2.Header.Write(&b)
	b.WriteString("\r\n")
	c.Write(b.Bytes())
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("second request on the connection: %v %v", resp, err)
	}

	// Now the body never comes: answered, then closed within the grace.
	r = e.newRequest(req{method: "PUT", target: srv.URL + "/bkt/k", body: body, payloadHash: "UNSIGNED-PAYLOAD", header: ssec, host: srv.Listener.Addr().String()})
	start := time.Now()
	c = rawHead(t, srv, r, len(body), nil)
	resp = readAnswer(t, c, 10*time.Second)
	if resp.StatusCode != 501 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	t.Logf("answered and closed after %s", time.Since(start).Round(time.Millisecond))
}

// A download the client abandons halfway is logged as the client's doing
// (info, "client went away"), not as a server warning.
func TestClientGoneMidDownload(t *testing.T) {
	e, srv, logs := stallServer(t, time.Hour)
	e.put("bkt", "big", bytes.Repeat([]byte("z"), 32<<20), nil)
	r := e.newRequest(req{method: "GET", target: srv.URL + "/bkt/big", host: srv.Listener.Addr().String()})
	c := rawHead(t, srv, r, 0, nil)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).SetLinger(0) // a reset, as a killed client leaves
	c.Close()
	waitFor(t, 10*time.Second, "download logged", func() bool { return strings.Contains(logs.String(), "op=GetObject") })
	l := logs.String()
	if !strings.Contains(l, "aborted=true") || !strings.Contains(l, "client went away") || strings.Contains(l, "level=WARN") {
		t.Fatalf("log:\n%s", l)
	}
}
