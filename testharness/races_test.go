package testharness

import (
	"bytes"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// atOnce runs f(0), …, f(n-1) in goroutines released together, so that
// they race as closely as the machine allows, and returns their errors by
// index.
func atOnce(n int, f func(w int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range n {
		wg.Go(func() {
			<-start
			errs[w] = f(w)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneCreateWon checks a race of create-only writes (If-None-Match: *) of
// key whose errors are errs: exactly one writer succeeded, every other got
// 412 PreconditionFailed, and every client reads body(winner). It returns
// the winner.
func oneCreateWon(t *testing.T, clients []*s3.Client, bucket, key string, errs []error, body func(w int) []byte) int {
	t.Helper()
	winner := -1
	for w, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: writers %d and %d both created the object", key, winner, w)
		case err == nil:
			winner = w
		default:
			wantAPIError(t, err, "PreconditionFailed", 412)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: no writer won", key)
	}
	for _, c := range clients {
		if got := get(t, c, bucket, key); !bytes.Equal(got, body(winner)) {
			t.Fatalf("%s: the object is not the winner's (writer %d)", key, winner)
		}
	}
	return winner
}
