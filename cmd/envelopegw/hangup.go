package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// reloadOnHangup reloads, on every SIGHUP until ctx ends, what serve can
// change without a restart: the users (and credentials) and the keyring.
// Each part loads and validates completely before it replaces the running
// one, so a reload that fails keeps the previous configuration and logs
// why.
//
// The signal is subscribed before reloadOnHangup returns, so a SIGHUP sent
// once serve listens is never lost (nor fatal to the process); the loop
// runs on its own goroutine.
func (s *server) reloadOnHangup(ctx context.Context) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	go s.reloadLoop(ctx, c)
}

func (s *server) reloadLoop(ctx context.Context, c chan os.Signal) {
	defer signal.Stop(c)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c:
			s.reload()
		}
	}
}

// reload runs every reloader once, logging each failure.
func (s *server) reload() {
	for _, r := range []struct {
		what string
		fn   func() error
	}{
		{"users", s.reloadUsers},
		{"keyring", s.reloadKeyring},
	} {
		if err := r.fn(); err != nil {
			s.log.Error("reload failed: the previous configuration stays in force", "what", r.what, "error", err)
		}
	}
}
