package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// periodicTransport answers 503 SlowDown, without forwarding, to every
// every-th request once armed, as an upstream shedding load does;
// offset shifts which ones.
type periodicTransport struct {
	every, offset int64
	armed         atomic.Bool
	n, injected   atomic.Int64
}

func (p *periodicTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if p.armed.Load() && (p.n.Add(1)+p.offset)%p.every == 0 {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		p.injected.Add(1)
		body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected by the test</Message></Error>`
		return &http.Response{
			StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/xml"}},
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: r,
		}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestCommitThroughPeriodic503: an upstream that refuses every second,
// third or fourth request with 503 must not fail a commit, whichever
// request the cycle starts on. A head change used to send a fixed number
// of requests per attempt (look, index, head PUT, look), so when that
// number was a multiple of the cycle and its head PUT met a 503, every
// retry's did too, and the commit failed after its 3 retries (what made
// TestUpstreamAnswers503 flaky: the gateway's own requests moved the
// cycle). Retries now re-send the head PUT back to back.
func TestCommitThroughPeriodic503(t *testing.T) {
	_, srv := sharedBackend(t)
	for every := int64(2); every <= 4; every++ {
		for offset := range every {
			t.Run(fmt.Sprint("every", every, "offset", offset), func(t *testing.T) {
				prefix := fmt.Sprintf("periodic-%s", randHex(4))
				pt := &periodicTransport{every: every, offset: offset}
				b := backendVia(t, srv, pt, prefix)
				ctx := context.Background()
				pt.armed.Store(true)
				for i := range 2 {
					key := fmt.Sprint("key", i)
					want := bytes.Repeat([]byte(key), 1000)
					w, err := b.NewObject(ctx, "bkt", key)
					if err != nil {
						t.Fatal(err)
					}
					w.Write(want)
					if _, err := w.Commit(nil); err != nil {
						t.Fatalf("commit %s: %v", key, err)
					}
					got, err := readBack(b, "bkt", key)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("%s reads %d bytes, %v; want the %d bytes written", key, len(got), err, len(want))
					}
				}
				if pt.injected.Load() == 0 {
					t.Fatal("no 503 was injected")
				}
			})
		}
	}
}
