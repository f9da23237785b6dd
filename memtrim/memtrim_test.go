package memtrim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

var testPolicy = Policy{Quiet: time.Second, MinInterval: 10 * time.Second}

// The decision itself, on a clock the test moves: never while a request
// is in flight, never without activity since the last release, only after
// the quiet period, and not again within the minimum interval.
func TestDueOnlyWhenIdleAfterActivity(t *testing.T) {
	var tr Tracker
	t0 := time.Unix(1000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	if tr.due(at(time.Hour), testPolicy) {
		t.Fatal("due with no request ever served")
	}
	tr.begin()
	if tr.due(at(time.Hour), testPolicy) {
		t.Fatal("due while a request is in flight")
	}
	tr.begin() // a second one, ending later
	tr.end(func() time.Time { return at(0) })
	if tr.due(at(time.Hour), testPolicy) {
		t.Fatal("due while the second request is still in flight")
	}
	tr.end(func() time.Time { return at(2 * time.Second) })
	if tr.due(at(2500*time.Millisecond), testPolicy) {
		t.Fatal("due before the quiet period after the last request ended")
	}
	if !tr.due(at(3*time.Second), testPolicy) {
		t.Fatal("not due a quiet period after the burst")
	}
	// What Run does on a release.
	tr.active.Store(false)
	tr.lastRel = at(3 * time.Second)
	if tr.due(at(time.Hour), testPolicy) {
		t.Fatal("due again with no request since the release")
	}
	tr.begin()
	tr.end(func() time.Time { return at(4 * time.Second) })
	if tr.due(at(12*time.Second), testPolicy) {
		t.Fatal("due within the minimum interval of the last release")
	}
	if !tr.due(at(13*time.Second), testPolicy) {
		t.Fatal("not due after the minimum interval")
	}
}

// Through the middleware and Run's loop with a counting release: none
// while a handler runs, one after it returns, none more while idle.
func TestRunReleasesOncePerBurst(t *testing.T) {
	var tr Tracker
	var released atomic.Int32
	p := Policy{Quiet: 20 * time.Millisecond, MinInterval: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go tr.Run(ctx, p, func() { released.Add(1) })

	inside, finish := make(chan struct{}), make(chan struct{})
	h := tr.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inside)
		<-finish
	}))
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		close(done)
	}()
	<-inside
	time.Sleep(10 * p.Quiet) // many ticks with the request in flight
	if n := released.Load(); n != 0 {
		t.Fatalf("%d releases while a request was in flight", n)
	}
	close(finish)
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for released.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no release after the request ended")
		}
		time.Sleep(p.Quiet)
	}
	time.Sleep(10 * p.Quiet) // idle: nothing new to give back
	if n := released.Load(); n != 1 {
		t.Fatalf("%d releases after one burst, want 1", n)
	}
}
