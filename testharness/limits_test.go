package testharness

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/net/http2"
)

// stallConn opens a connection and sends req's request line and headers,
// declaring a 1000-byte body that never comes.
func stallConn(t testing.TB, g *Gateway, req *http.Request) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n", req.Method, req.URL.RequestURI(), req.Host)
	req.Header.Del("Content-Length")
	req.Header.Write(&b)
	b.WriteString("\r\n")
	if _, err := c.Write(b.Bytes()); err != nil {
		t.Fatalf("write: %v", err)
	}
	return c
}

// stallResult is what became of one stalled connection.
type stallResult struct {
	status int    // 0: no answer
	code   string // S3 error code
	closed time.Duration
	err    error
}

// awaitClose reads c's answer and then waits for the server to close c.
func awaitClose(c net.Conn, start time.Time, wait time.Duration) stallResult {
	defer c.Close()
	c.SetReadDeadline(start.Add(wait))
	br := bufio.NewReader(c)
	var r stallResult
	if resp, err := http.ReadResponse(br, nil); err == nil {
		body, _ := io.ReadAll(resp.Body)
		r.status = resp.StatusCode
		if i := bytes.Index(body, []byte("<Code>")); i >= 0 {
			r.code, _, _ = strings.Cut(string(body[i+6:]), "<")
		}
	}
	_, err := io.Copy(io.Discard, br)
	r.closed = time.Since(start)
	r.err = err // nil: EOF, the server closed the connection
	return r
}

// TestStalledConnections is the acceptance test of the connection limits:
// 500 connections send complete headers announcing a 1000-byte body and
// then nothing, half without valid credentials and half signed. Every one
// must be answered and closed (the unauthenticated at once, the signed
// after --stall-timeout) while ordinary requests keep being served; a
// signed stall must leave no temporary file behind. Before the limits, no
// stalled connection was ever answered or closed.
func TestStalledConnections(t *testing.T) {
	const stall = 2 * time.Second
	g := Start(t, Options{NoFsync: true, Args: []string{
		"--stall-timeout", stall.String(), "--header-timeout", "2s",
		"--max-conns", "2000", "--max-conns-per-ip", "1000",
	}})
	c := S3Client(t, g, S3Options{})
	bucket := newBucket(t, c)
	put(t, c, bucket, "ordinary", []byte("ordinary object"))

	const n = 500
	start := time.Now()
	results := make([]stallResult, n)
	var wg sync.WaitGroup
	for i := range n {
		req := signed(t, g, "PUT", fmt.Sprintf("/%s/stalled-%d", bucket, i), nil, bytes.Repeat([]byte("x"), 1000), "UNSIGNED-PAYLOAD", nil)
		if i%2 == 0 {
			a := req.Header.Get("Authorization") // flip the signature's last digit
			last := "0"
			if strings.HasSuffix(a, "0") {
				last = "1"
			}
			req.Header.Set("Authorization", a[:len(a)-1]+last)
		}
		conn := stallConn(t, g, req)
		wg.Go(func() { results[i] = awaitClose(conn, start, stall+30*time.Second) })
	}
	// A few connections that do not even finish their headers.
	var silent []net.Conn
	for range 5 {
		conn, err := net.Dial("tcp", g.Addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("PUT /x HTTP/1.1\r\nHost: a\r\n"))
		silent = append(silent, conn)
	}

	// Ordinary traffic while the stalls are held.
	var lat []time.Duration
	var failures atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			t0 := time.Now()
			var err error
			if i%2 == 0 {
				_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &bucket, Key: new("ordinary")})
			} else {
				_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: new(fmt.Sprintf("o%d", i)), Body: strings.NewReader("small")})
			}
			if err != nil {
				failures.Add(1)
				t.Errorf("ordinary request %d while stalled connections are held: %v", i, err)
			}
			lat = append(lat, time.Since(t0))
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(stop)
	<-done

	var unauthMax, authMax time.Duration
	for i, r := range results {
		wantStatus, wantCode := 400, "RequestTimeout"
		if i%2 == 0 {
			wantStatus, wantCode = 403, "SignatureDoesNotMatch"
		}
		if r.status != wantStatus || r.code != wantCode || r.err != nil {
			t.Fatalf("stalled connection %d: status %d code %q closed after %s (read error %v), want %d %s and a close",
				i, r.status, r.code, r.closed.Round(time.Millisecond), r.err, wantStatus, wantCode)
		}
		if i%2 == 0 {
			unauthMax = max(unauthMax, r.closed)
		} else {
			authMax = max(authMax, r.closed)
		}
	}
	// The documented limits: refused at once; stalled bodies end after
	// --stall-timeout. The margin absorbs a loaded CI machine.
	if limit := stall + 10*time.Second; authMax > limit {
		t.Errorf("signed stalls closed after up to %s, limit %s", authMax, limit)
	}
	if unauthMax > 10*time.Second {
		t.Errorf("unauthenticated stalls closed after up to %s", unauthMax)
	}
	for _, s := range silent {
		r := awaitClose(s, start, 30*time.Second)
		if r.err != nil {
			t.Errorf("connection without complete headers not closed: %v", r.err)
		}
		s.Close()
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		t.Fatal("no ordinary request ran while the stalls were held")
	}
	t.Logf("%d stalled connections: unauthenticated closed within %s, signed within %s (stall timeout %s)",
		n, unauthMax.Round(time.Millisecond), authMax.Round(time.Millisecond), stall)
	t.Logf("%d ordinary requests meanwhile, %d failed; latency median %s, max %s",
		len(lat), failures.Load(), lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))

	// No stalled upload left a temporary file, and the log says which
	// limits fired.
	if tmp := tmpFiles(g.DataDir); len(tmp) > 0 {
		t.Errorf("stalled uploads left temporary files: %v", tmp)
	}
	for _, want := range []string{"stall-timeout", "limit=header-timeout"} {
		if !g.AwaitLog(want) {
			t.Errorf("log does not name the limit %q", want)
		}
	}
}

// TestConnectionCapPerIP: connections over --max-conns-per-ip are closed at
// once and logged, and a slot freed serves again.
func TestConnectionCapPerIP(t *testing.T) {
	g := Start(t, Options{NoFsync: true, Args: []string{"--max-conns-per-ip", "4", "--header-timeout", "1m"}})
	// The harness's readiness probes may still count for a moment.
	time.Sleep(300 * time.Millisecond)
	var held []net.Conn
	for range 4 {
		conn, err := net.Dial("tcp", g.Addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
	}
	time.Sleep(200 * time.Millisecond) // let the server accept them
	over, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if r := awaitClose(over, time.Now(), 10*time.Second); r.err != nil || r.status != 0 {
		t.Fatalf("fifth connection: %+v, want closed without an answer", r)
	}
	if !g.AwaitLog("limit=max-conns-per-ip") {
		t.Errorf("log does not name the limit:\n%s", tail(g.Log(), 2000))
	}
	held[0].Close()
	time.Sleep(200 * time.Millisecond)
	c := S3Client(t, g, S3Options{})
	if _, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{}); err != nil {
		t.Fatalf("request after a slot was freed: %v", err)
	}
	for _, h := range held {
		h.Close()
	}
}

// TestStalledDownload: a client that asks for a large object and reads
// nothing is cut off after --stall-timeout (the server's write makes no
// progress), and the log names the limit. Before, the handler's write
// blocked for as long as the client kept the connection open.
func TestStalledDownload(t *testing.T) {
	g := Start(t, Options{NoFsync: true, Args: []string{"--stall-timeout", "1s"}})
	c := S3Client(t, g, S3Options{})
	bucket := newBucket(t, c)
	put(t, c, bucket, "big", bytes.Repeat([]byte("big object "), 3<<20)) // 33 MiB: more than socket buffers hold

	req := signed(t, g, "GET", "/"+bucket+"/big", nil, nil, "", nil)
	conn, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", req.URL.RequestURI(), req.Host)
	req.Header.Write(&b)
	b.WriteString("\r\n")
	if _, err := conn.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitLog := func() bool {
		for time.Since(start) < 30*time.Second {
			for _, l := range strings.Split(g.Log(), "\n") {
				if strings.Contains(l, "op=GetObject") && strings.Contains(l, "aborted=true") && strings.Contains(l, "stall-timeout") {
					return true
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
	if !waitLog() {
		t.Fatalf("the stalled download was not cut off within 30s:\n%s", tail(g.Log(), 3000))
	}
	t.Logf("stalled download cut off after %s (stall timeout 1s)", time.Since(start).Round(time.Millisecond))
	// The connection is closed: what the kernel buffered drains, then EOF
	// or a reset, not a wait.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection still open after the download was cut off")
	}
}

// TestHugeHeaderRefused: a header section far over s3api's 8 KiB limit is
// refused by the server before it buffers it all (431), instead of being
// read up to net/http's 1 MiB default on every connection.
func TestHugeHeaderRefused(t *testing.T) {
	g := Start(t, Options{NoFsync: true})
	conn, err := net.Dial("tcp", g.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go conn.Write([]byte("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("x", 512<<10) + "\r\n\r\n"))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d for a 512 KiB header, want 431", resp.StatusCode)
	}
}

// TestStalledUploadPart: a signed UploadPart whose body stops halfway
// ends in 400 RequestTimeout and leaves no temporary file; the upload
// stays usable.
func TestStalledUploadPart(t *testing.T) {
	g := Start(t, Options{NoFsync: true, Args: []string{"--stall-timeout", "3s"}})
	c := S3Client(t, g, S3Options{})
	bucket := newBucket(t, c)
	up, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: new("mp")})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"partNumber": {"1"}, "uploadId": {*up.UploadId}}
	req := signed(t, g, "PUT", "/"+bucket+"/mp", q, bytes.Repeat([]byte("p"), 1000), "UNSIGNED-PAYLOAD", nil)
	conn := stallConn(t, g, req)
	conn.Write(bytes.Repeat([]byte("p"), 500))
	start := time.Now()
	// While the body stalls, the part's temporary file exists: the test
	// is about its release.
	held := false
	for !held && time.Since(start) < 2*time.Second {
		held = len(tmpFiles(g.DataDir)) > 0
		time.Sleep(20 * time.Millisecond)
	}
	r := awaitClose(conn, start, 30*time.Second)
	if r.status != 400 || r.code != "RequestTimeout" || r.err != nil {
		t.Fatalf("stalled part: %+v", r)
	}
	if !held {
		t.Log("no temporary file seen while the part stalled (a slow machine?)")
	}
	if tmp := tmpFiles(g.DataDir); len(tmp) > 0 {
		t.Errorf("the stalled part left temporary files: %v", tmp)
	}
	parts, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &bucket, Key: new("mp"), UploadId: up.UploadId})
	if err != nil || len(parts.Parts) != 0 {
		t.Fatalf("ListParts after the stalled part: %v, %d parts", err, len(parts.Parts))
	}
}

// TestHTTP2StreamCap: over TLS the gateway speaks HTTP/2, where one
// connection carries many requests at once; the connection caps bound
// connections, so the server must announce a stream cap too (net/http's
// default is 100 or more per connection).
func TestHTTP2StreamCap(t *testing.T) {
	g := Start(t, Options{NoFsync: true, TLS: true})
	tr := g.transport()
	cfg := tr.TLSClientConfig.Clone()
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.Dial("tcp", g.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("no SETTINGS from the server: %v", err)
		}
		sf, ok := f.(*http2.SettingsFrame)
		if !ok || sf.IsAck() {
			continue
		}
		v, ok := sf.Value(http2.SettingMaxConcurrentStreams)
		if !ok || v > 64 {
			t.Fatalf("server allows %d concurrent streams per connection (announced: %v)", v, ok)
		}
		t.Logf("server announces %d concurrent streams per connection", v)
		return
	}
}

// tmpFiles lists the files in the volume's temporary directories.
func tmpFiles(dir string) []string {
	var tmp []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && filepath.Base(filepath.Dir(p)) == "tmp" {
			tmp = append(tmp, p)
		}
		return nil
	})
	return tmp
}
