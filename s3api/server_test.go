package s3api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Over a real connection: a request refused by auth with
// "Expect: 100-continue" gets its answer without the client sending the
// body.
func TestExpectContinueRefusedWithoutUpload(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	var sent atomic.Int64
	body := &trackingReader{r: bytes.NewReader(bytes.Repeat([]byte("x"), 1<<20)), n: &sent}
	r := e.newRequest(req{method: "PUT", target: srv.URL + "/bkt/k", body: bytes.Repeat([]byte("x"), 1<<20), host: strings.TrimPrefix(srv.URL, "http://")})
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature=ff", 1))
	r.RequestURI = ""
	r.Body = io.NopCloser(body)
	r.Header.Set("Expect", "100-continue")
	tr := &http.Transport{ExpectContinueTimeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 && resp.StatusCode != 403 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if resp.Header.Get("Content-Type") != "application/xml" {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("client sent %d body bytes before being refused", n)
	}

	// And a good request with Expect goes through.
	r = e.newRequest(req{method: "PUT", target: srv.URL + "/bkt/k", body: []byte("ok"), host: strings.TrimPrefix(srv.URL, "http://")})
	r.RequestURI = ""
	r.Header.Set("Expect", "100-continue")
	resp, err = (&http.Client{Transport: tr}).Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

type trackingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (t *trackingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n.Add(int64(n))
	return n, err
}

// Over a real connection: a read failure in the middle of a GET reaches
// the client as a broken transfer, never as a complete-looking body.
func TestAbortReachesClient(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	data := bytes.Repeat([]byte("y"), 4<<20)
	e.put("bkt", "k", data, nil)
	e.svc.failRead["k"] = errors.New("tag mismatch")
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	srv.Config.ErrorLog = nil

	r := e.newRequest(req{method: "GET", target: srv.URL + "/bkt/k", host: strings.TrimPrefix(srv.URL, "http://")})
	r.RequestURI = ""
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("read %d of %d bytes without an error", len(got), len(data))
	}
	if len(got) >= len(data) {
		t.Fatalf("got the whole body despite the failure")
	}
}

// SigV2 through the handler, path and virtual-host style (the canonical
// resource differs), as xbcloud's V2 probe sends it.
func TestSigV2(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "k", []byte("v2"), nil)
	sign := func(method, host, path, resource string) *http.Request {
		r := httptest.NewRequest(method, "http://"+host+path, nil)
		date := e.now.Format(http.TimeFormat)
		r.Header.Set("Date", date)
		sts := method + "\n\n\n" + date + "\n" + resource
		m := hmac.New(sha1.New, []byte(testSK))
		m.Write([]byte(sts))
		r.Header.Set("Authorization", "AWS "+testAK+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
		return r
	}
	for _, c := range []struct{ host, path, resource string }{
		{"127.0.0.1:9000", "/bkt/k", "/bkt/k"},
		{"bkt.s3.test:9000", "/k", "/bkt/k"},
	} {
		w, _ := e.serve(sign("GET", c.host, c.path, c.resource))
		if w.Code != 200 || w.Body.String() != "v2" {
			t.Errorf("V2 GET via %s: %d %s", c.host, w.Code, w.Body.String())
		}
	}
	w, _ := e.serve(sign("HEAD", "127.0.0.1:9000", "/bkt/", "/bkt/"))
	if w.Code != 200 {
		t.Errorf("V2 HEAD /bkt/: %d", w.Code)
	}
	w, _ = e.serve(sign("HEAD", "127.0.0.1:9000", "/missing/", "/missing/"))
	if w.Code != 404 {
		t.Errorf("V2 HEAD of a missing bucket: %d, want 404", w.Code)
	}
	w, _ = e.serve(sign("GET", "127.0.0.1:9000", "/bkt/k", "/bkt/other"))
	checkError(t, "GET", w, 403, "SignatureDoesNotMatch")
}
