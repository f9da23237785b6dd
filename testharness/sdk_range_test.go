package testharness

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// rangeCase is a Range header and the slice [first, last] it must yield.
type rangeCase struct {
	header      string
	first, last int64
}

// rangeCases returns the edge cases for an object of size n (segment
// boundaries at 64 KiB multiples) and count random ranges of every form.
func rangeCases(n int64, count int, seed uint64) []rangeCase {
	seg := int64(64 << 10)
	cs := []rangeCase{
		{"bytes=0-0", 0, 0},
		{"bytes=0-", 0, n - 1},
		{fmt.Sprintf("bytes=%d-", n-1), n - 1, n - 1},
		{"bytes=-1", n - 1, n - 1},
		{fmt.Sprintf("bytes=-%d", n), 0, n - 1},
		{fmt.Sprintf("bytes=-%d", n+1000), 0, n - 1},  // a suffix longer than the object is all of it
		{fmt.Sprintf("bytes=0-%d", n+1000), 0, n - 1}, // an end past the object is clipped
	}
	if n > 3*seg+10 {
		cs = append(cs,
			rangeCase{fmt.Sprintf("bytes=%d-%d", seg-1, seg), seg - 1, seg},
			rangeCase{fmt.Sprintf("bytes=%d-%d", seg, 2*seg-1), seg, 2*seg - 1},
			rangeCase{fmt.Sprintf("bytes=%d-%d", seg-10, 3*seg+10), seg - 10, 3*seg + 10})
	}
	r := rand.New(rand.NewPCG(seed, 1))
	for range count {
		a := r.Int64N(n)
		switch r.IntN(3) {
		case 0:
			b := a + r.Int64N(min(n-a, 3*seg))
			cs = append(cs, rangeCase{fmt.Sprintf("bytes=%d-%d", a, b), a, b})
		case 1:
			cs = append(cs, rangeCase{fmt.Sprintf("bytes=%d-", a), a, n - 1})
		case 2:
			k := 1 + r.Int64N(n)
			cs = append(cs, rangeCase{fmt.Sprintf("bytes=-%d", k), n - k, n - 1})
		}
	}
	return cs
}

// checkRanges GETs every case of bucket/key concurrently and compares with
// the plaintext.
func checkRanges(t *testing.T, c *s3.Client, bucket, key string, plain []byte, cases []rangeCase) {
	t.Helper()
	n := int64(len(plain))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, rc := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &bucket, Key: &key, Range: aws.String(rc.header)})
			if err != nil {
				t.Errorf("GET %s Range %s: %v", key, rc.header, err)
				return
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Errorf("GET Range %s: reading: %v", rc.header, err)
				return
			}
			if !bytes.Equal(got, plain[rc.first:rc.last+1]) {
				t.Errorf("GET Range %s: %d bytes that differ from plaintext [%d,%d]", rc.header, len(got), rc.first, rc.last)
			}
			if want := fmt.Sprintf("bytes %d-%d/%d", rc.first, rc.last, n); aws.ToString(out.ContentRange) != want {
				t.Errorf("GET Range %s: Content-Range %q, want %q", rc.header, aws.ToString(out.ContentRange), want)
			}
			if aws.ToInt64(out.ContentLength) != rc.last-rc.first+1 {
				t.Errorf("GET Range %s: Content-Length %d", rc.header, aws.ToInt64(out.ContentLength))
			}
		}()
	}
	wg.Wait()
}

// TestSDKRangeGets: many random ranges (a-b, a-, -n) and segment-boundary
// ranges of a multi-MiB object equal the plaintext slices; unsatisfiable
// ranges are 416 InvalidRange.
func TestSDKRangeGets(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		plain := Data(42, 5<<20+12345)
		put(t, c, b, "big", plain)
		checkRanges(t, c, b, "big", plain, rangeCases(int64(len(plain)), 150, 42))

		// A range answers 206 on the wire.
		resp, body := rawDo(t, e.g, signed(t, e.g, "GET", "/"+b+"/big", nil, nil, "", http.Header{"Range": {"bytes=10-19"}}))
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, plain[10:20]) {
			t.Errorf("raw Range GET: status %d, %d bytes", resp.StatusCode, len(body))
		}
		if resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("Accept-Ranges %q, want bytes", resp.Header.Get("Accept-Ranges"))
		}

		n := len(plain)
		for _, r := range []string{fmt.Sprintf("bytes=%d-", n), fmt.Sprintf("bytes=%d-%d", n+5, n+10)} {
			_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("big"), Range: aws.String(r)})
			wantAPIError(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)
		}
		resp, body = rawDo(t, e.g, signed(t, e.g, "GET", "/"+b+"/big", nil, nil, "", http.Header{"Range": {fmt.Sprintf("bytes=%d-", n)}}))
		checkXMLError(t, resp, body, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")

		// A small object: ranges inside one segment.
		small := Data(43, 1000)
		put(t, c, b, "small", small)
		checkRanges(t, c, b, "small", small, rangeCases(1000, 30, 43))
	})
}
